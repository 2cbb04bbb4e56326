use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{Listing, Storage, check_meta_name};
use crate::error::StorageError;
use crate::ids::DocId;

/// A store in a directory: one file per document, written by
/// write-to-temporary, fsync, rename, fsync-directory, so a file is always
/// either its old or its new content, and a write is on disk when it returns.
///
/// Layout: `docs/<uuid>` and `meta/<name>`. A `LOCK` file held with an
/// exclusive lock keeps a second process from opening the same store.
#[derive(Debug)]
pub struct FileStore {
    root: PathBuf,
    docs: PathBuf,
    meta: PathBuf,
    _lock: File,
}

pub(super) const TEMP_SUFFIX: &str = ".tmp";

pub(super) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> StorageError {
    let context = context.into();
    move |source| StorageError::Io { context, source }
}

impl FileStore {
    /// Opens (creating if needed) the store in `root`.
    ///
    /// Fails with [`StorageError::Locked`] if another process has it open.
    /// Temporary files left by a write that was interrupted are removed.
    pub fn open(root: impl AsRef<Path>) -> Result<Self, StorageError> {
        let root = root.as_ref().to_path_buf();
        let docs = root.join("docs");
        let meta = root.join("meta");
        for dir in [&root, &docs, &meta] {
            fs::create_dir_all(dir).map_err(io(format!("creating {}", dir.display())))?;
        }
        let lock = lock_directory(&root)?;
        let store = Self {
            root,
            docs,
            meta,
            _lock: lock,
        };
        store.remove_temporaries()?;
        Ok(store)
    }

    /// The directory the store lives in.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn remove_temporaries(&self) -> Result<(), StorageError> {
        for dir in [&self.docs, &self.meta] {
            for entry in fs::read_dir(dir).map_err(io(format!("listing {}", dir.display())))? {
                let path = entry.map_err(io("listing the store"))?.path();
                if path.to_string_lossy().ends_with(TEMP_SUFFIX) {
                    fs::remove_file(&path).map_err(io(format!("removing {}", path.display())))?;
                }
            }
        }
        Ok(())
    }

    fn doc_path(&self, id: DocId) -> PathBuf {
        self.docs.join(id.to_string())
    }

    fn meta_path(&self, name: &str) -> Result<PathBuf, StorageError> {
        check_meta_name(name)?;
        Ok(self.meta.join(name))
    }
}

/// Takes the exclusive lock on the `LOCK` file in `root`, which keeps a
/// second process from opening the store there.
pub(super) fn lock_directory(root: &Path) -> Result<File, StorageError> {
    let lock_path = root.join("LOCK");
    let lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(io(format!("opening {}", lock_path.display())))?;
    match lock.try_lock() {
        Ok(()) => Ok(lock),
        Err(fs::TryLockError::WouldBlock) => Err(StorageError::Locked(root.display().to_string())),
        Err(fs::TryLockError::Error(e)) => Err(io(format!("locking {}", lock_path.display()))(e)),
    }
}

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, StorageError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(format!("reading {}", path.display()))(e)),
    }
}

pub(super) fn sync_dir(dir: &Path) -> Result<(), StorageError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io(format!("syncing {}", dir.display())))
}

/// Replaces `path` with `bytes` atomically and durably.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StorageError> {
    let mut temp = path.as_os_str().to_owned();
    temp.push(TEMP_SUFFIX);
    let temp = PathBuf::from(temp);
    let mut file = File::create(&temp).map_err(io(format!("creating {}", temp.display())))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(io(format!("writing {}", temp.display())))?;
    drop(file);
    fs::rename(&temp, path).map_err(io(format!("renaming {}", temp.display())))?;
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

fn remove_durably(path: &Path) -> Result<(), StorageError> {
    match fs::remove_file(path) {
        Ok(()) => sync_dir(path.parent().unwrap_or(Path::new("."))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io(format!("removing {}", path.display()))(e)),
    }
}

impl Storage for FileStore {
    fn get_document(&self, id: DocId) -> Result<Option<Vec<u8>>, StorageError> {
        read_optional(&self.doc_path(id))
    }

    fn put_document(
        &mut self,
        id: DocId,
        bytes: &[u8],
        _listing: &Listing,
    ) -> Result<(), StorageError> {
        write_atomic(&self.doc_path(id), bytes)
    }

    fn delete_document(&mut self, id: DocId) -> Result<(), StorageError> {
        remove_durably(&self.doc_path(id))
    }

    fn document_ids(&self) -> Result<Vec<DocId>, StorageError> {
        let mut ids = Vec::new();
        let entries = fs::read_dir(&self.docs).map_err(io("listing documents"))?;
        for entry in entries {
            let name = entry.map_err(io("listing documents"))?.file_name();
            let name = name.to_string_lossy();
            if name.ends_with(TEMP_SUFFIX) {
                continue;
            }
            let id = name
                .parse()
                .map_err(|_| StorageError::Corrupt(format!("unexpected file docs/{name}")))?;
            ids.push(id);
        }
        ids.sort();
        Ok(ids)
    }

    fn get_meta(&self, name: &str) -> Result<Option<Vec<u8>>, StorageError> {
        read_optional(&self.meta_path(name)?)
    }

    fn put_meta(&mut self, name: &str, bytes: &[u8]) -> Result<(), StorageError> {
        write_atomic(&self.meta_path(name)?, bytes)
    }

    fn wipe(&mut self) -> Result<(), StorageError> {
        for dir in [&self.docs, &self.meta] {
            for entry in fs::read_dir(dir).map_err(io(format!("listing {}", dir.display())))? {
                let path = entry.map_err(io("listing the store"))?.path();
                fs::remove_file(&path).map_err(io(format!("removing {}", path.display())))?;
            }
            sync_dir(dir)?;
        }
        Ok(())
    }
}
