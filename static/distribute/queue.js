/* The offline queue: distributions saved on this device (IndexedDB) until the server confirms.
   Each entry: {id, user, site, body, queuedAt, refusal?}. The id is the event's UUID, so
   saving the same submission twice keeps one entry, and sending it twice records one event. */
(function () {
  "use strict";

  var DB_NAME = "supply-tracker";
  var STORE = "distribution-queue";
  var opening = null;

  function open() {
    if (!opening) {
      opening = new Promise(function (resolve, reject) {
        var request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () {
          request.result.createObjectStore(STORE, { keyPath: "id" });
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { opening = null; reject(request.error); };
      });
    }
    return opening;
  }

  function run(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result = work(tx.objectStore(STORE));
        tx.oncomplete = function () { resolve(result && "result" in result ? result.result : undefined); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  window.DistributionQueue = {
    /** Save (or replace) an entry; resolves once it is on disk. */
    put: function (entry) { return run("readwrite", function (store) { store.put(entry); }); },
    /** Every entry, oldest first. */
    all: function () {
      return run("readonly", function (store) { return store.getAll(); }).then(function (entries) {
        return (entries || []).sort(function (a, b) { return a.queuedAt < b.queuedAt ? -1 : 1; });
      });
    },
    /** Forget one entry (the server confirmed it, or the user discarded it). */
    remove: function (id) { return run("readwrite", function (store) { store.delete(id); }); },
    /** Forget everything (on sign-out, after the user was warned). */
    clear: function () { return run("readwrite", function (store) { store.clear(); }); }
  };
})();
