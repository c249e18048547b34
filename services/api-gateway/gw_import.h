/*  gw_import - imports the Python prototype's moderation.db on first start.

    The prototype kept its database under the same name as ours in the same
    /config volume, so it must be recognised before the store opens (and
    migrates) data_dir/moderation.db: opening it as ours would fail on its
    `decisions` table, or worse, write into it. The original is renamed to
    moderation.prototype.db and never written; ours is created and every
    prototype row is copied in one transaction (words through ps_legacy),
    after which the `imports` table records the file, so the import runs
    once. A crash mid-import leaves no partial rows and the next start
    imports again. Called by the gateway's main thread before any other
    thread exists.                                                        */
#ifndef GW_IMPORT_H_INCLUDED
#define GW_IMPORT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GW_IMPORT_ORIGINAL "moderation.prototype.db"

typedef struct {
    bool ran;              /* an import happened on this call */
    int64_t decisions;     /* prototype decisions rows = rows imported */
    int64_t reviews;       /* pending_reviews rows = reviews imported */
    int64_t pending;       /* ... of which open: in our review queue */
    int64_t requests;      /* our requests rows created */
    int64_t kept;          /* requests already in our database (ours won) */
    int64_t synthesized;   /* decisions made from a review that had none */
    int64_t staff;         /* staff decisions (manual_staff) */
    int64_t unknown_words; /* decision words outside the mapping: review */
    int64_t undated;       /* timestamps unreadable: import time used */
} gw_import_summary_t;

/* True when the file at path is a prototype moderation.db: a `decisions`
   table with a `decision` column and a `pending_reviews` table. Opens it
   read-only; false when it is missing, ours, or not a database. */
bool gw_import_is_prototype(const char *path);

/* Before the store opens data_dir/moderation.db: when that file is the
   prototype's, renames it to data_dir/moderation.prototype.db (refused
   when that name is taken). Then, when moderation.prototype.db exists and
   our database has no record of importing it, creates ours and imports
   it, `now` (ms epoch) being the time of rows whose timestamp is
   unreadable. Returns 0 with *summary filled (summary->ran false when
   there was nothing to do), or -1 with the reason in err (nothing of the
   import kept). */
int gw_import_prototype(const char *data_dir, int64_t now,
                        gw_import_summary_t *summary, char *err, size_t errlen);

#endif
