"""Supply tracker for harm reduction programs: create_app() is the table of contents."""

from flask import Flask

from supplies.config import PROJECT_ROOT, load_config


def create_app(overrides: dict | None = None) -> Flask:
    """Build the application: settings, extensions, blueprints, commands, error pages."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(PROJECT_ROOT / "instance"),
    )
    app.config.from_mapping(load_config(overrides))
    register_extensions(app)
    register_blueprints(app)
    register_commands(app)
    register_errorhandlers(app)
    register_security(app)
    register_static_files(app)
    register_jobs(app)
    return app


def register_extensions(app: Flask) -> None:
    """Bind the database, migrations, sign-in, CSRF, compression and languages to the app."""
    from supplies import models  # noqa: F401  (registers the tables with the metadata)
    from supplies.database import configure_engine
    from supplies.extensions import compress, csrf, db, login_manager, migrate

    # First, so its after_request runs last: it compresses the finished response.
    compress.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    from supplies import i18n

    i18n.register(app)
    with app.app_context():
        configure_engine(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
    from supplies.auth.session import configure_login

    configure_login(login_manager)


def register_blueprints(app: Flask) -> None:
    """One blueprint per area of the job."""
    from supplies.admin.views import bp as admin_bp
    from supplies.api.views import bp as api_bp
    from supplies.auth.views import bp as auth_bp
    from supplies.catalog.views import bp as catalog_bp
    from supplies.distribute.views import bp as distribute_bp
    from supplies.extensions import csrf
    from supplies.imports.views import bp as imports_bp
    from supplies.inventory.views import bp as inventory_bp
    from supplies.main.views import bp as main_bp
    from supplies.partners.views import bp as partners_bp
    from supplies.reports.views import bp as reports_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(main_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(inventory_bp)
    app.register_blueprint(catalog_bp)
    app.register_blueprint(distribute_bp)
    app.register_blueprint(imports_bp)
    app.register_blueprint(partners_bp)
    # The API checks CSRF itself for session callers; bearer-token callers need none.
    csrf.exempt(api_bp)
    app.register_blueprint(api_bp)


def register_commands(app: Flask) -> None:
    """The flask CLI commands of DESIGN.md."""
    from supplies.commands import COMMANDS

    for command in COMMANDS:
        app.cli.add_command(command)


def register_errorhandlers(app: Flask) -> None:
    """Friendly pages for people, JSON for the API."""
    from supplies.errors import register

    register(app)


def register_security(app: Flask) -> None:
    """Security headers on every response."""
    from supplies.security import register

    register(app)


def register_static_files(app: Flask) -> None:
    """Fingerprinted static URLs, cached for good (hashed once, now)."""
    from supplies.web import assets

    assets.register(app)


def register_jobs(app: Flask) -> None:
    """Background jobs: without a worker (no REDIS_URL) the app keeps their schedule."""
    from supplies.jobs import maintenance

    maintenance.register(app)
