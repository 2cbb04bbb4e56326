//! A backup's file: a tar archive of the manifest, the database copy and
//! the erasure log, inside an age stream when it is encrypted.

use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::{ARCHIVE_FORMAT, Manifest, Recipients};
use crate::error::{Error, Result};

const MANIFEST: &str = "manifest.json";
const ERASURES: &str = "erasures.jsonl";
/// The database copy's name inside an archive (its format is in the
/// manifest).
const COPY_NAME: &str = "database";
/// How an age-encrypted file starts.
const AGE_MAGIC: &[u8] = b"age-encryption.org/v1";

/// What an archive held, unpacked into a scratch directory.
pub(super) struct Unpacked {
    pub(super) manifest: Manifest,
    pub(super) copy: PathBuf,
    pub(super) erasures: Vec<u8>,
}

pub(super) fn write_archive(
    file: &Path,
    manifest: &Manifest,
    copy: &Path,
    erasures: &[u8],
    recipients: &Recipients,
) -> Result<()> {
    let failed = |source: std::io::Error| Error::Io {
        context: format!("writing the backup {}", file.display()),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    // Readable by the server's user alone: it holds everyone's records.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let out = BufWriter::new(options.open(file).map_err(failed)?);
    if recipients.encrypts() {
        let encryptor =
            age::Encryptor::with_recipients(recipients.0.iter().map(|r| r as &dyn age::Recipient))
                .map_err(|e| Error::Config(format!("encrypting the backup: {e}")))?;
        let stream = encryptor.wrap_output(out).map_err(failed)?;
        let stream = tar_into(stream, manifest, copy, erasures).map_err(failed)?;
        stream.finish().map_err(failed)?.flush().map_err(failed)
    } else {
        tar_into(out, manifest, copy, erasures)
            .map_err(failed)?
            .flush()
            .map_err(failed)
    }
}

fn tar_into<W: Write>(
    out: W,
    manifest: &Manifest,
    copy: &Path,
    erasures: &[u8],
) -> std::io::Result<W> {
    let mut tar = tar::Builder::new(out);
    let manifest = serde_json::to_vec_pretty(manifest).map_err(std::io::Error::other)?;
    append_bytes(&mut tar, MANIFEST, &manifest)?;
    tar.append_path_with_name(copy, COPY_NAME)?;
    append_bytes(&mut tar, ERASURES, erasures)?;
    tar.into_inner()
}

fn append_bytes<W: Write>(
    tar: &mut tar::Builder<W>,
    name: &str,
    bytes: &[u8],
) -> std::io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes.len() as u64);
    header.set_mode(0o600);
    header.set_cksum();
    tar.append_data(&mut header, name, bytes)
}

pub(super) fn unpack(archive: &Path, identity: Option<&Path>, scratch: &Path) -> Result<Unpacked> {
    let failed = |source: std::io::Error| Error::Io {
        context: format!("reading the backup {}", archive.display()),
        source,
    };
    let mut input = BufReader::new(std::fs::File::open(archive).map_err(failed)?);
    let mut start = [0u8; 21];
    let read = read_up_to(&mut input, &mut start).map_err(failed)?;
    let input = std::io::Cursor::new(start[..read].to_vec()).chain(input);
    let reader: Box<dyn Read> = if start[..read] == *AGE_MAGIC {
        let Some(identity) = identity else {
            return Err(Error::BadRequest(format!(
                "{} is encrypted: give the age identity (secret key) file with --identity",
                archive.display()
            )));
        };
        let identities = read_identities(identity)?;
        let decryptor = age::Decryptor::new(input).map_err(|e| {
            Error::BadRequest(format!(
                "{} is not a readable age file: {e}",
                archive.display()
            ))
        })?;
        let stream = decryptor
            .decrypt(identities.iter().map(|i| i as &dyn age::Identity))
            .map_err(|e| {
                Error::BadRequest(format!(
                    "{} cannot be decrypted with the key in {}: {e}",
                    archive.display(),
                    identity.display()
                ))
            })?;
        Box::new(stream)
    } else {
        Box::new(input)
    };
    let mut tar = tar::Archive::new(reader);
    let (mut manifest, mut erasures, mut copy) = (None, Vec::new(), None);
    let not_a_backup = |why: String| {
        Error::BadRequest(format!(
            "{} is not an outreach backup: {why}",
            archive.display()
        ))
    };
    for entry in tar.entries().map_err(|e| not_a_backup(e.to_string()))? {
        let mut entry = entry.map_err(|e| not_a_backup(e.to_string()))?;
        let name = entry
            .path()
            .map_err(|e| not_a_backup(e.to_string()))?
            .to_string_lossy()
            .into_owned();
        match name.as_str() {
            MANIFEST => {
                let mut text = Vec::new();
                entry.read_to_end(&mut text).map_err(failed)?;
                manifest = Some(
                    serde_json::from_slice::<Manifest>(&text)
                        .map_err(|e| not_a_backup(format!("its manifest: {e}")))?,
                );
            }
            ERASURES => {
                entry.read_to_end(&mut erasures).map_err(failed)?;
            }
            COPY_NAME => {
                let path = scratch.join(COPY_NAME);
                let mut out = std::fs::File::create(&path).map_err(failed)?;
                std::io::copy(&mut entry, &mut out).map_err(failed)?;
                out.sync_all().map_err(failed)?;
                copy = Some(path);
            }
            other => return Err(not_a_backup(format!("it holds {other:?}"))),
        }
    }
    // To the end: an encrypted stream proves it is whole only there.
    std::io::copy(&mut tar.into_inner(), &mut std::io::sink()).map_err(failed)?;
    let manifest = manifest.ok_or_else(|| not_a_backup("no manifest".into()))?;
    if manifest.format != ARCHIVE_FORMAT {
        return Err(not_a_backup(format!(
            "its format is {}; this outreach reads {ARCHIVE_FORMAT}",
            manifest.format
        )));
    }
    let copy = copy.ok_or_else(|| not_a_backup("no database in it".into()))?;
    Ok(Unpacked {
        manifest,
        copy,
        erasures,
    })
}

/// The age identities (`AGE-SECRET-KEY-1...` lines) in a key file, as
/// `age-keygen` writes it (comment lines start with `#`).
fn read_identities(path: &Path) -> Result<Vec<age::x25519::Identity>> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        context: format!("reading the key file {}", path.display()),
        source,
    })?;
    let identities = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            age::x25519::Identity::from_str(line).map_err(|_| {
                Error::BadRequest(format!(
                    "{} holds a line that is not an age secret key (AGE-SECRET-KEY-1...)",
                    path.display()
                ))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    if identities.is_empty() {
        return Err(Error::BadRequest(format!(
            "{} holds no age secret key",
            path.display()
        )));
    }
    Ok(identities)
}

fn read_up_to(input: &mut impl Read, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match input.read(&mut buffer[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}
