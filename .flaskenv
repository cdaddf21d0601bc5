# Public settings for the flask command on a developer's machine (read by python-dotenv).
# Production deployments set APP_ENV=production and their own SECRET_KEY instead.
APP_ENV=development
