//! Fetching one source URL into the cache's temporary directory (`file://` or HTTP through reqwest), hashing as
//! it writes; the caller checks the sha256 and files it.

use std::io::Write;
use std::path::Path;

use rattler_digest::{HashingWriter, Sha256};

use super::CACHE_FILE_MODE;
use crate::digest::hex;
use crate::fsutil;

/// Downloads `url` into a temp file in `dir`, hashing as it writes. The error is a message for the tried list.
pub(super) fn download(
    client: &reqwest::blocking::Client,
    url: &url::Url,
    dir: &Path,
) -> Result<(tempfile::NamedTempFile, String), String> {
    let tmp = fsutil::temp_file(dir, CACHE_FILE_MODE)
        .map_err(|e| format!("cannot create a temp file in {}: {e}", dir.display()))?;
    let mut writer = HashingWriter::<_, Sha256>::new(tmp);
    if url.scheme() == "file" {
        let path = url
            .to_file_path()
            .map_err(|()| "not a local file path".to_owned())?;
        let mut src = fs_err::File::open(&path).map_err(|e| e.to_string())?;
        std::io::copy(&mut src, &mut writer).map_err(|e| e.to_string())?;
    } else {
        let mut response = client
            .get(url.clone())
            .send()
            .and_then(|r| r.error_for_status())
            .map_err(|e| error_chain(&e))?;
        std::io::copy(&mut response, &mut writer).map_err(|e| error_chain(&e))?;
    }
    writer.flush().map_err(|e| e.to_string())?;
    let (tmp, hash) = writer.finalize();
    Ok((tmp, hex(&hash)))
}

/// An error and its causes on one line (reqwest's top-level message alone rarely says why).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}
