//! `AtomicDir`'s native side: one stage, shared by every staging call, each call one libuv
//! work item (the I/O and the hashing run on the pool, never on the JS thread).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::{AsyncTask, Uint8Array};
use napi::{Env, Error, Result, Status};
use napi_derive::napi;

use super::outcome::{describe, NativeFailure, NativeOutcome};
use super::paths::to_path;
use super::pool::OnPool;
use crate::dir::{DirOptions, DirStage, EntryOptions, Manifest, OpenEntry, Source};
use crate::errors::PublishError;
use crate::hash;
use crate::options::{Control, Mtime};
use crate::publish::Durability;
use napi::bindgen_prelude::{Buffer, Either};

/// Directory publish settings, already checked by the wrapper.
#[napi(object)]
pub struct NativeDirConfig {
    /// `'full'`, `'file'` or `'none'`.
    pub durability: String,
    pub overwrite: bool,
    /// Return from the commit before the old tree is removed.
    pub background_removal: bool,
    /// Start the stage as hard links to the current tree's files.
    pub from_current: bool,
    /// The versioned layout, keeping this many versions; absent: the plain layout.
    pub kept_versions: Option<u32>,
}

/// One staged file's settings.
#[napi(object)]
pub struct NativeEntryConfig {
    pub expected_hash: Option<String>,
    pub mtime_secs: Option<i64>,
    pub mtime_nanos: Option<u32>,
    pub mode: Option<u32>,
}

/// One file of a published tree.
#[napi(object)]
pub struct NativeManifestFile {
    /// Relative, `/`-separated (a name that is not UTF-8 has its bytes replaced here, and
    /// exact in `pathBytes`).
    pub path: String,
    pub path_bytes: Option<napi::bindgen_prelude::Buffer>,
    pub size: f64,
    pub hash: String,
}

/// What a commit did: the manifest, or why it failed.
#[napi(object)]
pub struct NativeDirOutcome {
    pub files: Vec<NativeManifestFile>,
    pub total_bytes: f64,
    pub old_tree_left: Vec<String>,
    pub failure: Option<NativeFailure>,
}

type Slot = Arc<Mutex<Option<Arc<DirStage>>>>;

#[napi]
pub struct NativeDirStage {
    target: PathBuf,
    options: DirOptions,
    from_current: bool,
    control: Arc<Control>,
    stage: Slot,
}

fn invalid(message: String) -> Error {
    Error::new(Status::InvalidArg, message)
}

fn entry_options(config: &NativeEntryConfig) -> Result<EntryOptions> {
    let expected_hash = match &config.expected_hash {
        Some(text) => Some(
            hash::from_hex(text)
                .ok_or_else(|| invalid(format!("not an XXH3-128 hash: {text:?}")))?,
        ),
        None => None,
    };
    Ok(EntryOptions {
        expected_hash,
        mtime: config.mtime_secs.map(|secs| Mtime {
            secs,
            nanos: config.mtime_nanos.unwrap_or(0),
        }),
        mode: config.mode,
    })
}

/// The stage of `slot`, if `begin` made one.
fn stage_of(slot: &Slot) -> std::result::Result<Arc<DirStage>, PublishError> {
    slot.lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
        .ok_or(PublishError::Aborted)
}

fn entry_outcome(
    result: std::result::Result<crate::dir::ManifestEntry, PublishError>,
) -> NativeOutcome {
    match result {
        Ok(entry) => NativeOutcome::success(entry.size, Some(entry.hash)),
        Err(e) => NativeOutcome::failed(describe(e)),
    }
}

type BeginJob = (Slot, PathBuf, DirOptions, bool);
type WriteJob = (Slot, PathBuf, Uint8Array, EntryOptions);
type WritesJob = (Slot, Vec<(PathBuf, Uint8Array, EntryOptions)>);
type CopyJob = (Slot, PathBuf, PathBuf, EntryOptions);

#[napi]
impl NativeDirStage {
    /// Settings only: nothing on disk is touched until `begin`.
    #[napi(constructor)]
    pub fn new(env: Env, target: Either<String, Buffer>, config: NativeDirConfig) -> Result<Self> {
        let durability = Durability::parse(&config.durability)
            .ok_or_else(|| invalid(format!("not a durability level: {:?}", config.durability)))?;
        let control = Arc::new(Control::default());
        Ok(Self {
            target: to_path(target)?,
            options: DirOptions {
                durability,
                overwrite: config.overwrite,
                wait_for_removal: !config.background_removal,
                layout: match config.kept_versions {
                    Some(kept) => crate::dir::Layout::Versioned { kept },
                    None => crate::dir::Layout::Plain,
                },
                control: Some(control.clone()),
                owner: super::lifecycle::environment_of(&env),
                ..DirOptions::default()
            },
            from_current: config.from_current,
            control,
            stage: Slot::default(),
        })
    }

    /// Make the stage (and, with `fromCurrent`, link the current tree into it).
    #[napi(ts_return_type = "Promise<NativeOutcome>")]
    pub fn begin(&self) -> AsyncTask<OnPool<BeginJob, NativeOutcome>> {
        let job = (
            self.stage.clone(),
            self.target.clone(),
            self.options.clone(),
            self.from_current,
        );
        AsyncTask::new(OnPool::new(job, |(slot, target, options, from_current)| {
            let begun = DirStage::begin(target, options.clone()).and_then(|stage| {
                let linked = if *from_current {
                    stage.link_current()?
                } else {
                    0
                };
                Ok((stage, linked))
            });
            match begun {
                Ok((stage, linked)) => {
                    *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(stage));
                    NativeOutcome::success(linked, None)
                }
                Err(e) => NativeOutcome::failed(describe(e)),
            }
        }))
    }

    /// Stage `data` at the relative path `path`.
    #[napi(ts_return_type = "Promise<NativeOutcome>")]
    pub fn write_file(
        &self,
        path: Either<String, Buffer>,
        data: Uint8Array,
        config: NativeEntryConfig,
    ) -> Result<AsyncTask<OnPool<WriteJob, NativeOutcome>>> {
        let job = (
            self.stage.clone(),
            to_path(path)?,
            data,
            entry_options(&config)?,
        );
        Ok(AsyncTask::new(OnPool::new(
            job,
            |(slot, path, data, options)| {
                entry_outcome(
                    stage_of(slot)
                        .and_then(|s| s.stage_file(path.as_os_str(), Source::Bytes(data), options)),
                )
            },
        )))
    }

    /// Stage several small files in one pool job (the wrapper gathers writes while the pool
    /// is busy); each succeeds or fails on its own, outcomes in the order given.
    #[napi(ts_return_type = "Promise<NativeOutcome[]>")]
    pub fn write_files(
        &self,
        paths: Vec<Either<String, Buffer>>,
        data: Vec<Uint8Array>,
        configs: Vec<NativeEntryConfig>,
    ) -> Result<AsyncTask<OnPool<WritesJob, Vec<NativeOutcome>>>> {
        if paths.len() != data.len() || paths.len() != configs.len() {
            return Err(invalid(
                "one path, one buffer and one config per file".into(),
            ));
        }
        let files = paths
            .into_iter()
            .zip(data)
            .zip(&configs)
            .map(|((path, data), config)| Ok((to_path(path)?, data, entry_options(config)?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(AsyncTask::new(OnPool::new(
            (self.stage.clone(), files),
            |(slot, files)| {
                let stage = stage_of(slot).ok();
                files
                    .iter()
                    .map(|(path, data, options)| {
                        entry_outcome(stage.as_ref().ok_or(PublishError::Aborted).and_then(|s| {
                            s.stage_file(path.as_os_str(), Source::Bytes(data), options)
                        }))
                    })
                    .collect()
            },
        )))
    }

    /// Stage a copy of the file `source` at the relative path `path`.
    #[napi(ts_return_type = "Promise<NativeOutcome>")]
    pub fn copy_file(
        &self,
        path: Either<String, Buffer>,
        source: Either<String, Buffer>,
        config: NativeEntryConfig,
    ) -> Result<AsyncTask<OnPool<CopyJob, NativeOutcome>>> {
        let job = (
            self.stage.clone(),
            to_path(path)?,
            to_path(source)?,
            entry_options(&config)?,
        );
        Ok(AsyncTask::new(OnPool::new(
            job,
            |(slot, path, source, options)| {
                entry_outcome(
                    stage_of(slot).and_then(|s| {
                        s.stage_file(path.as_os_str(), Source::File(source), options)
                    }),
                )
            },
        )))
    }

    /// Make the directory `path` (and those above it) in the stage.
    #[napi(ts_return_type = "Promise<NativeOutcome>")]
    pub fn make_dir(
        &self,
        path: Either<String, Buffer>,
    ) -> Result<AsyncTask<OnPool<(Slot, PathBuf), NativeOutcome>>> {
        let job = (self.stage.clone(), to_path(path)?);
        Ok(AsyncTask::new(OnPool::new(
            job,
            |(slot, path)| match stage_of(slot).and_then(|s| s.make_dir(path.as_os_str())) {
                Ok(()) => NativeOutcome::success(0, None),
                Err(e) => NativeOutcome::failed(describe(e)),
            },
        )))
    }

    /// A staged file to be filled piece by piece (`stream`, `createWriteStream`). Nothing is
    /// made until its first push.
    #[napi]
    pub fn open_entry(
        &self,
        path: Either<String, Buffer>,
        config: NativeEntryConfig,
    ) -> Result<NativeDirEntry> {
        Ok(NativeDirEntry {
            slot: self.stage.clone(),
            path: to_path(path)?,
            options: entry_options(&config)?,
            open: Arc::new(Mutex::new(None)),
        })
    }

    /// Publish the stage; every staging call must have settled.
    #[napi(ts_return_type = "Promise<NativeDirOutcome>")]
    pub fn commit(&self) -> AsyncTask<OnPool<Slot, NativeDirOutcome>> {
        AsyncTask::new(OnPool::new(self.stage.clone(), |slot| {
            let result = stage_of(slot).and_then(|s| s.commit());
            slot.lock().unwrap_or_else(|p| p.into_inner()).take();
            dir_outcome(result)
        }))
    }

    /// Stop: a staging call under way stops at its next piece, and no commit will swap.
    /// True when no swap has begun.
    #[napi]
    pub fn cancel(&self) -> bool {
        self.control.cancel()
    }

    /// Drop the stage (after `cancel`, or instead of a commit). The outcome names what could
    /// not be removed, if anything.
    #[napi(ts_return_type = "Promise<NativeOutcome>")]
    pub fn abort(&self) -> AsyncTask<OnPool<Slot, NativeOutcome>> {
        AsyncTask::new(OnPool::new(self.stage.clone(), |slot| {
            let stage = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
            let left = stage.map(|s| s.abort()).unwrap_or_default();
            NativeOutcome::abandoned(left.into_iter().next())
        }))
    }

    /// Bytes staged so far.
    #[napi]
    pub fn staged_bytes(&self) -> f64 {
        self.control.bytes_written() as f64
    }
}

fn dir_outcome(result: std::result::Result<Manifest, PublishError>) -> NativeDirOutcome {
    match result {
        Ok(manifest) => NativeDirOutcome {
            total_bytes: manifest.total_bytes as f64,
            old_tree_left: manifest
                .old_tree_left
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect(),
            files: manifest
                .files
                .into_iter()
                .map(|f| {
                    let exact = f.path.to_str().is_none();
                    NativeManifestFile {
                        path: f.path.to_string_lossy().into_owned(),
                        path_bytes: exact.then(|| f.path.as_encoded_bytes().to_vec().into()),
                        size: f.size as f64,
                        hash: hash::to_hex(f.hash),
                    }
                })
                .collect(),
            failure: None,
        },
        Err(e) => NativeDirOutcome {
            files: Vec::new(),
            total_bytes: 0.0,
            old_tree_left: Vec::new(),
            failure: Some(describe(e)),
        },
    }
}

type OpenSlot = Arc<Mutex<Option<OpenEntry>>>;
type PushJob = (Slot, PathBuf, EntryOptions, OpenSlot, Uint8Array);
type FinishJob = (Slot, PathBuf, EntryOptions, OpenSlot);

/// One staged file being filled piece by piece; each push and the finish run on the pool, one
/// after another (the wrapper waits for each). Collected unfinished, its file is removed.
#[napi]
pub struct NativeDirEntry {
    slot: Slot,
    path: PathBuf,
    options: EntryOptions,
    open: OpenSlot,
}

/// The open entry, created at the first use.
fn with_open<T>(
    slot: &Slot,
    path: &std::path::Path,
    options: &EntryOptions,
    open: &OpenSlot,
    then: impl FnOnce(&mut Option<OpenEntry>) -> std::result::Result<T, PublishError>,
) -> std::result::Result<T, PublishError> {
    let mut open = open.lock().unwrap_or_else(|p| p.into_inner());
    if open.is_none() {
        *open = Some(stage_of(slot)?.open_entry(path.as_os_str(), *options)?);
    }
    let result = then(&mut open);
    if result.is_err() {
        // A failed piece: the file goes now, its path is free again.
        open.take();
    }
    result
}

#[napi]
impl NativeDirEntry {
    /// Append one piece; resolves with the bytes written so far.
    #[napi(ts_return_type = "Promise<NativeOutcome>")]
    pub fn push(&self, chunk: Uint8Array) -> AsyncTask<OnPool<PushJob, NativeOutcome>> {
        let job = (
            self.slot.clone(),
            self.path.clone(),
            self.options,
            self.open.clone(),
            chunk,
        );
        AsyncTask::new(OnPool::new(job, |(slot, path, options, open, chunk)| {
            let pushed = with_open(slot, path, options, open, |entry| {
                entry.as_mut().expect("opened above").append(chunk)
            });
            match pushed {
                Ok(written) => NativeOutcome::success(written, None),
                Err(e) => NativeOutcome::failed(describe(e)),
            }
        }))
    }

    /// End the file: verified, moded, stamped, recorded as staged.
    #[napi(ts_return_type = "Promise<NativeOutcome>")]
    pub fn finish(&self) -> AsyncTask<OnPool<FinishJob, NativeOutcome>> {
        let job = (
            self.slot.clone(),
            self.path.clone(),
            self.options,
            self.open.clone(),
        );
        AsyncTask::new(OnPool::new(job, |(slot, path, options, open)| {
            entry_outcome(with_open(slot, path, options, open, |entry| {
                entry.take().expect("opened above").finish()
            }))
        }))
    }

    /// Give up: the file is removed.
    #[napi]
    pub fn discard(&self) {
        self.open.lock().unwrap_or_else(|p| p.into_inner()).take();
    }
}
