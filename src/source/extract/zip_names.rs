//! The raw entry names of a zip's central directory, read without the `zip` crate, which keeps only the last of
//! several entries with the same name (so duplicates cannot be seen through it).
//!
//! Layout per APPNOTE.TXT (PKWARE's zip specification) §4.3.12 (central directory file header), §4.3.14–16
//! (zip64 end of central directory record and locator, end of central directory record).

use std::io::{Read, Seek, SeekFrom};

const EOCD_SIG: [u8; 4] = *b"PK\x05\x06";
const EOCD64_LOCATOR_SIG: [u8; 4] = *b"PK\x06\x07";
const EOCD64_SIG: [u8; 4] = *b"PK\x06\x06";
const CENTRAL_SIG: [u8; 4] = *b"PK\x01\x02";
/// The fixed part of the end of central directory record.
const EOCD_LEN: usize = 22;
/// A comment is at most 65,535 bytes, so the record starts within this many bytes of the end.
const EOCD_SEARCH: u64 = EOCD_LEN as u64 + 65_535;
/// Stop reading a central directory bigger than this (the zip crate would have refused it too).
const MAX_CENTRAL_DIR: u64 = 256 << 20;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// The first name that appears twice in the central directory of the zip `file`, if any. `None` also when the
/// central directory cannot be located or parsed (the `zip` crate then reports the archive as unreadable).
pub(super) fn first_duplicate(file: &mut (impl Read + Seek)) -> Option<String> {
    let names = central_names(file)?;
    let mut seen = std::collections::HashSet::with_capacity(names.len());
    names
        .into_iter()
        .find(|n| !seen.insert(n.clone()))
        .map(|n| String::from_utf8_lossy(&n).into_owned())
}

fn central_names(file: &mut (impl Read + Seek)) -> Option<Vec<Vec<u8>>> {
    let len = file.seek(SeekFrom::End(0)).ok()?;
    let tail_start = len.saturating_sub(EOCD_SEARCH);
    file.seek(SeekFrom::Start(tail_start)).ok()?;
    let mut tail = Vec::new();
    file.read_to_end(&mut tail).ok()?;
    let eocd = (0..=tail.len().checked_sub(EOCD_LEN)?)
        .rev()
        .find(|&i| tail[i..i + 4] == EOCD_SIG)?;
    let eocd_pos = tail_start + eocd as u64;
    let mut cd_size = u64::from(u32_at(&tail, eocd + 12)?);
    let mut cd_end = eocd_pos;
    // Zip64: the locator sits right before the EOCD and points at the zip64 record, which follows the directory.
    if eocd >= 20 && tail[eocd - 20..eocd - 16] == EOCD64_LOCATOR_SIG {
        let record_pos = u64_at(&tail, eocd - 20 + 8)?;
        file.seek(SeekFrom::Start(record_pos)).ok()?;
        let mut record = [0u8; 56];
        file.read_exact(&mut record).ok()?;
        if record[..4] == EOCD64_SIG {
            cd_size = u64_at(&record, 40)?;
            cd_end = record_pos;
        }
    }
    if cd_size > MAX_CENTRAL_DIR {
        return None;
    }
    // The directory ends where the (zip64) end record starts, whatever data was prepended to the archive.
    let cd_start = cd_end.checked_sub(cd_size)?;
    file.seek(SeekFrom::Start(cd_start)).ok()?;
    let mut cd = vec![0u8; usize::try_from(cd_size).ok()?];
    file.read_exact(&mut cd).ok()?;
    let mut names = Vec::new();
    let mut at = 0;
    while at + 46 <= cd.len() && cd[at..at + 4] == CENTRAL_SIG {
        let name_len = usize::from(u16_at(&cd, at + 28)?);
        let extra_len = usize::from(u16_at(&cd, at + 30)?);
        let comment_len = usize::from(u16_at(&cd, at + 32)?);
        names.push(cd.get(at + 46..at + 46 + name_len)?.to_vec());
        at += 46 + name_len + extra_len + comment_len;
    }
    Some(names)
}
