/* ldv.plumbing._native: the per-file loop of `ldv status`, in C.
 *
 * `status` on an unchanged tree must lstat every tracked file and learn whether any
 * directory holds something the index does not know.  In CPython one os.lstat costs
 * ~1.6 us of object creation on top of the system call; for 50,000 files that alone
 * is more than `git status` spends in total.  This module does the loop without
 * making a Python object per file, on worker threads with the GIL released:
 *
 *   scan_tracked(root, names, records, count, nthreads[, dircache, now_ns,
 *                racy_ns, coarse_ns]) -> (mismatched, dirs, dirkeys)
 *
 * names    the index's NUL-terminated, sorted entry paths (UTF-8, '/'-separated)
 * records  the index's packed entry records (plumbing/index.py, _ENTRY: 78 bytes;
 *          bytes 4..38 are the stat key: flags u16, size u64, mtime_ns i64,
 *          ctime_ns i64, ino u64, little-endian)
 * mismatched  indices of entries whose lstat does not equal their stat key (or
 *          that are flagged, missing, or no longer a regular file or symlink):
 *          the caller looks at each as before (hashing, racy handling)
 * dirs     directories (relative, "" for the root) the caller must list itself
 *          because they may hold untracked files: their entry count differs from
 *          the number of names the index expects in them, or an expected child is
 *          missing.  When a directory holds exactly as many names as the index
 *          expects and every expected name exists, the two sets are equal and no
 *          untracked file can be there, without a Python object per name.
 * dircache the dirkeys of an earlier scan against the same index (or b""):
 *          a directory whose key (mtime_ns, ctime_ns, ino of the directory) is
 *          unchanged holds the names it held then, so it is not read again --
 *          Git's untracked cache, on by default here.  Adding, removing or
 *          renaming a name changes the directory's mtime; forging the mtime back
 *          (utime) changes its ctime.
 * dirkeys  the key of every directory found holding exactly the expected names
 *          whose mtime and ctime are older than now_ns - racy_ns (coarse_ns for
 *          whole-second timestamps): a name added in the same clock tick as the
 *          key was taken could otherwise go unseen.  Zeros for the others.  The
 *          caller stores them with the index they were computed against.
 *
 * Nothing is followed: lstat semantics (fstatat AT_SYMLINK_NOFOLLOW), directories
 * opened with O_NOFOLLOW.  The pure-Python walk in porcelain/status.py is the
 * reference and the fallback when this module is not built; a test compares them.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RECORD_SIZE 78
#define KEY_OFFSET 4
#define KEY_SIZE 34
#define DIR_KEY_SIZE 24
#define REPO_DIR ".ldv"

typedef struct {
    const char *path;      /* NUL-terminated, inside the names buffer */
    Py_ssize_t len;
} name_t;

typedef struct {
    char *path;            /* owned, NUL-terminated ("" for the root) */
    size_t len;
    Py_ssize_t parent;     /* index of its parent directory (-1 for the root) */
    Py_ssize_t expected;   /* names the index expects directly in it */
    int flagged;           /* set by any thread: the caller must list it */
    int clean;             /* it held exactly the expected names (count_dirs) */
    unsigned char key[DIR_KEY_SIZE];   /* its (mtime_ns, ctime_ns, ino) */
} dir_t;

typedef struct {
    int rootfd;
    const name_t *names;
    const unsigned char *records;
    Py_ssize_t *entry_dir; /* index into dirs of each entry's parent */
    dir_t *dirs;
    Py_ssize_t ndirs;
    unsigned char *mismatch;   /* one byte per entry */
    Py_ssize_t count;
    int nthreads;
    int id;
    const unsigned char *dircache;   /* ndirs * DIR_KEY_SIZE, or NULL */
} job_t;

static void put_u16(unsigned char *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void put_u64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void dir_key(const struct stat *st, unsigned char *key) {
    int64_t mtime = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
    int64_t ctime = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
    put_u64(key, (uint64_t)mtime);
    put_u64(key + 8, (uint64_t)ctime);
    put_u64(key + 16, (uint64_t)st->st_ino);
}

static void stat_key(const struct stat *st, unsigned char *key) {
    int64_t mtime = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
    int64_t ctime = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
    put_u16(key, 0);
    put_u64(key + 2, (uint64_t)st->st_size);
    put_u64(key + 10, (uint64_t)mtime);
    put_u64(key + 18, (uint64_t)ctime);
    put_u64(key + 26, (uint64_t)st->st_ino);
}

/* Entries [lo, hi) of this worker's share: one fstatat each, relative to the
 * entry's directory (opened once per run of entries in it: the kernel then
 * resolves one name per file, not the whole path). */
static void stat_entries(job_t *j, Py_ssize_t lo, Py_ssize_t hi) {
    unsigned char key[KEY_SIZE];
    struct stat st;
    Py_ssize_t cur = -1;
    int fd = -1;
    for (Py_ssize_t i = lo; i < hi; i++) {
        const unsigned char *rec = j->records + (size_t)i * RECORD_SIZE;
        Py_ssize_t d = j->entry_dir[i];
        const dir_t *dir = &j->dirs[d];
        if (d != cur) {
            if (fd >= 0 && fd != j->rootfd)
                close(fd);
            fd = dir->path[0] ? openat(j->rootfd, dir->path,
                                       O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                              : j->rootfd;
            cur = d;
        }
        const char *base = j->names[i].path + (dir->len ? dir->len + 1 : 0);
        int bad;
        if (fd < 0 || fstatat(fd, base, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            bad = 2;
        } else if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
            bad = 2;          /* a directory, FIFO ... where a file was */
        } else {
            stat_key(&st, key);
            bad = memcmp(key, rec + KEY_OFFSET, KEY_SIZE) != 0;
        }
        j->mismatch[i] = (unsigned char)bad;
        if (bad == 2)         /* an expected name is missing: list its directory */
            __atomic_store_n(&j->dirs[d].flagged, 1, __ATOMIC_RELAXED);
    }
    if (fd >= 0 && fd != j->rootfd)
        close(fd);
}

/* Directories [lo, hi): count their names, compare with what the index expects
 * (unless the directory is unchanged since a scan that found it clean). */
static void count_dirs(job_t *j, Py_ssize_t lo, Py_ssize_t hi) {
    for (Py_ssize_t d = lo; d < hi; d++) {
        dir_t *dir = &j->dirs[d];
        int fd = dir->path[0]
            ? openat(j->rootfd, dir->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            : dup(j->rootfd);
        if (fd < 0) {
            /* gone, or no longer a directory: its parent holds something new */
            __atomic_store_n(&dir->flagged, 1, __ATOMIC_RELAXED);
            if (dir->parent >= 0)
                __atomic_store_n(&j->dirs[dir->parent].flagged, 1, __ATOMIC_RELAXED);
            continue;
        }
        struct stat st;
        if (fstat(fd, &st) != 0) {
            close(fd);
            __atomic_store_n(&dir->flagged, 1, __ATOMIC_RELAXED);
            continue;
        }
        dir_key(&st, dir->key);
        if (j->dircache && memcmp(dir->key, j->dircache + (size_t)d * DIR_KEY_SIZE,
                                  DIR_KEY_SIZE) == 0) {
            close(fd);           /* the names it held when it was clean */
            dir->clean = 1;
            continue;
        }
        DIR *dp = fdopendir(fd);
        if (!dp) {
            close(fd);
            __atomic_store_n(&dir->flagged, 1, __ATOMIC_RELAXED);
            continue;
        }
        Py_ssize_t n = 0;
        struct dirent *de;
        int is_root = dir->path[0] == 0;
        while ((de = readdir(dp)) != NULL) {
            const char *s = de->d_name;
            if (s[0] == '.' && (s[1] == 0 || (s[1] == '.' && s[2] == 0)))
                continue;
            if (is_root && strcmp(s, REPO_DIR) == 0)
                continue;
            n++;
        }
        closedir(dp);
        if (n != dir->expected)
            __atomic_store_n(&dir->flagged, 1, __ATOMIC_RELAXED);
        else
            dir->clean = 1;
    }
}

/* Is a directory key old enough to vouch for the directory's names later? */
static int settled(const unsigned char *key, int64_t now_ns, int64_t racy_ns,
                   int64_t coarse_ns) {
    int64_t mtime = 0, ctime = 0;
    for (int i = 7; i >= 0; i--) {
        mtime = (mtime << 8) | key[i];
        ctime = (ctime << 8) | key[8 + i];
    }
    int64_t window = mtime % 1000000000 == 0 ? coarse_ns : racy_ns;
    return mtime < now_ns - window && ctime < now_ns - window;
}

static void *worker(void *arg) {
    job_t *j = (job_t *)arg;
    /* interleaved blocks: neighbours share directories (kernel dentry locality) */
    const Py_ssize_t block = 256;
    for (Py_ssize_t lo = (Py_ssize_t)j->id * block; lo < j->count;
         lo += (Py_ssize_t)j->nthreads * block) {
        Py_ssize_t hi = lo + block < j->count ? lo + block : j->count;
        stat_entries(j, lo, hi);
    }
    for (Py_ssize_t lo = (Py_ssize_t)j->id * 16; lo < j->ndirs;
         lo += (Py_ssize_t)j->nthreads * 16) {
        Py_ssize_t hi = lo + 16 < j->ndirs ? lo + 16 : j->ndirs;
        count_dirs(j, lo, hi);
    }
    return NULL;
}

/* Build the directory table from the sorted paths.
 *
 * Paths under one directory form one contiguous run of the sorted list (a prefix
 * range always does), so following parent links up from the current directory
 * suffices: a directory is entered once and, once left, never seen again.  Each
 * directory counts its distinct children: files, and subdirectories when first
 * entered. */
typedef struct {
    dir_t *items;
    Py_ssize_t n, cap;
} dirvec_t;

static Py_ssize_t dirvec_add(dirvec_t *v, const char *path, size_t len,
                             Py_ssize_t parent) {
    if (v->n == v->cap) {
        Py_ssize_t cap = v->cap ? v->cap * 2 : 64;
        dir_t *items = realloc(v->items, (size_t)cap * sizeof(dir_t));
        if (!items)
            return -1;
        v->items = items;
        v->cap = cap;
    }
    char *copy = malloc(len + 1);
    if (!copy)
        return -1;
    memcpy(copy, path, len);
    copy[len] = 0;
    v->items[v->n].path = copy;
    v->items[v->n].len = len;
    v->items[v->n].parent = parent;
    v->items[v->n].expected = 0;
    v->items[v->n].flagged = 0;
    v->items[v->n].clean = 0;
    memset(v->items[v->n].key, 0, DIR_KEY_SIZE);
    return v->n++;
}

static void dirvec_free(dirvec_t *v) {
    for (Py_ssize_t i = 0; i < v->n; i++)
        free(v->items[i].path);
    free(v->items);
}

static int build_dirs(const name_t *names, Py_ssize_t count, dirvec_t *v,
                      Py_ssize_t *entry_dir) {
    Py_ssize_t cur = dirvec_add(v, "", 0, -1);      /* the root: index 0 */
    if (cur < 0)
        return -1;
    for (Py_ssize_t i = 0; i < count; i++) {
        const char *p = names[i].path;
        size_t len = (size_t)names[i].len;
        /* up to the deepest directory entered so far that this path is under */
        while (cur > 0) {
            const dir_t *c = &v->items[cur];
            if (len > c->len && p[c->len] == '/' && memcmp(p, c->path, c->len) == 0)
                break;
            cur = c->parent;
        }
        /* enter the directories of this path below it */
        for (size_t k = cur ? v->items[cur].len + 1 : 0; k < len; k++) {
            if (p[k] != '/')
                continue;
            v->items[cur].expected++;              /* a new subdirectory */
            Py_ssize_t d = dirvec_add(v, p, k, cur);
            if (d < 0)
                return -1;
            cur = d;
        }
        v->items[cur].expected++;                  /* the file itself */
        entry_dir[i] = cur;
    }
    return 0;
}

/* Append ``item`` (a new reference, or NULL after an error) to ``list``. */
static int append_new(PyObject *list, PyObject *item) {
    if (!item)
        return -1;
    int rc = PyList_Append(list, item);
    Py_DECREF(item);
    return rc;
}

static PyObject *scan_tracked(PyObject *self, PyObject *args) {
    PyObject *root_obj;
    Py_buffer names_buf, records_buf, cache_buf = {0};
    Py_ssize_t count;
    int nthreads;
    long long now_ns = 0, racy_ns = 0, coarse_ns = 0;
    if (!PyArg_ParseTuple(args, "O&y*y*ni|y*LLL", PyUnicode_FSConverter, &root_obj,
                          &names_buf, &records_buf, &count, &nthreads, &cache_buf,
                          &now_ns, &racy_ns, &coarse_ns))
        return NULL;
    PyObject *result = NULL;
    name_t *names = NULL;
    Py_ssize_t *entry_dir = NULL;
    unsigned char *mismatch = NULL;
    dirvec_t dirs = {0};
    int rootfd = -1;

    if (count < 0 || records_buf.len < count * RECORD_SIZE) {
        PyErr_SetString(PyExc_ValueError, "records shorter than count entries");
        goto done;
    }
    names = PyMem_RawMalloc((size_t)(count ? count : 1) * sizeof(name_t));
    entry_dir = PyMem_RawMalloc((size_t)(count ? count : 1) * sizeof(Py_ssize_t));
    mismatch = PyMem_RawCalloc((size_t)(count ? count : 1), 1);
    if (!names || !entry_dir || !mismatch) {
        PyErr_NoMemory();
        goto done;
    }
    {
        const char *s = names_buf.buf, *end = s + names_buf.len;
        for (Py_ssize_t i = 0; i < count; i++) {
            const char *z = memchr(s, 0, (size_t)(end - s));
            if (!z) {
                PyErr_SetString(PyExc_ValueError, "fewer names than entries");
                goto done;
            }
            names[i].path = s;
            names[i].len = z - s;
            if (names[i].len == 0) {
                PyErr_SetString(PyExc_ValueError, "an empty path in the index");
                goto done;
            }
            /* sorted strictly (bytewise: UTF-8 order), as build_dirs needs */
            if (i > 0) {
                size_t a = (size_t)names[i - 1].len, b = (size_t)names[i].len;
                int cmp = memcmp(names[i - 1].path, s, a < b ? a : b);
                if (cmp > 0 || (cmp == 0 && a >= b)) {
                    PyErr_SetString(PyExc_ValueError, "index paths not sorted bytewise");
                    goto done;
                }
            }
            s = z + 1;
        }
        if (s != end) {
            PyErr_SetString(PyExc_ValueError, "more names than entries");
            goto done;
        }
    }
    if (build_dirs(names, count, &dirs, entry_dir) < 0) {
        PyErr_NoMemory();
        goto done;
    }
    rootfd = open(PyBytes_AS_STRING(root_obj), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) {
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, root_obj);
        goto done;
    }
    if (nthreads < 1)
        nthreads = 1;
    if (nthreads > 16)
        nthreads = 16;
    job_t jobs[16];
    pthread_t tids[16];
    int running[16] = {0};
    /* a cache computed for another directory table is no cache */
    const unsigned char *dircache =
        cache_buf.buf && cache_buf.len == dirs.n * DIR_KEY_SIZE ? cache_buf.buf : NULL;
    Py_BEGIN_ALLOW_THREADS
    for (int t = 0; t < nthreads; t++)
        jobs[t] = (job_t){rootfd, names, records_buf.buf, entry_dir, dirs.items,
                          dirs.n, mismatch, count, nthreads, t, dircache};
    for (int t = 1; t < nthreads; t++)
        running[t] = pthread_create(&tids[t], NULL, worker, &jobs[t]) == 0;
    worker(&jobs[0]);
    for (int t = 1; t < nthreads; t++) {
        if (running[t])
            pthread_join(tids[t], NULL);
        else
            worker(&jobs[t]);      /* no thread for this share: do it here */
    }
    Py_END_ALLOW_THREADS

    PyObject *out_entries = PyList_New(0), *out_dirs = PyList_New(0);
    if (!out_entries || !out_dirs) {
        Py_XDECREF(out_entries);
        Py_XDECREF(out_dirs);
        goto done;
    }
    int failed = 0;
    for (Py_ssize_t i = 0; i < count && !failed; i++)
        if (mismatch[i])
            failed = append_new(out_entries, PyLong_FromSsize_t(i)) < 0;
    for (Py_ssize_t d = 0; d < dirs.n && !failed; d++)
        if (dirs.items[d].flagged)
            failed = append_new(out_dirs, PyUnicode_DecodeFSDefault(dirs.items[d].path)) < 0;
    if (failed) {
        Py_DECREF(out_entries);
        Py_DECREF(out_dirs);
        goto done;
    }
    PyObject *keys = PyBytes_FromStringAndSize(NULL, dirs.n * DIR_KEY_SIZE);
    if (!keys) {
        Py_DECREF(out_entries);
        Py_DECREF(out_dirs);
        goto done;
    }
    for (Py_ssize_t d = 0; d < dirs.n; d++) {
        const dir_t *dir = &dirs.items[d];
        unsigned char *out = (unsigned char *)PyBytes_AS_STRING(keys) + d * DIR_KEY_SIZE;
        if (dir->clean && !dir->flagged && settled(dir->key, now_ns, racy_ns, coarse_ns))
            memcpy(out, dir->key, DIR_KEY_SIZE);
        else
            memset(out, 0, DIR_KEY_SIZE);
    }
    result = Py_BuildValue("(NNN)", out_entries, out_dirs, keys);

done:
    if (rootfd >= 0)
        close(rootfd);
    dirvec_free(&dirs);
    PyMem_RawFree(names);
    PyMem_RawFree(entry_dir);
    PyMem_RawFree(mismatch);
    PyBuffer_Release(&names_buf);
    PyBuffer_Release(&records_buf);
    if (cache_buf.obj)
        PyBuffer_Release(&cache_buf);
    Py_DECREF(root_obj);
    return result;
}

static PyMethodDef methods[] = {
    {"scan_tracked", scan_tracked, METH_VARARGS,
     "scan_tracked(root, names, records, count, nthreads[, dircache, now_ns, racy_ns,\n"
     "             coarse_ns]) -> (mismatched, dirs, dirkeys)\n\n"
     "lstat every index entry and count every tracked directory's names, with the\n"
     "GIL released; see the module source for the contract."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "ldv.plumbing._native",
    "Native loops of the work-tree scan (optional: porcelain/status.py falls back to "
    "Python).", -1, methods,
};

PyMODINIT_FUNC PyInit__native(void) { return PyModule_Create(&module); }
