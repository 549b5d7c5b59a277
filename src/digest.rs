//! One pass over a file or stream computing every digest archi records: blake3 (store entries), sha256 and md5
//! (repodata records, as conda-index writes them) and the size in bytes.

use std::io::{Read, Write};

/// Digests of one byte stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digests {
    /// blake3, lowercase hex.
    pub blake3: String,
    /// sha256.
    pub sha256: rattler_digest::Sha256Hash,
    /// md5.
    pub md5: rattler_digest::Md5Hash,
    /// Length in bytes.
    pub size: u64,
}

impl Digests {
    /// sha256 as lowercase hex.
    pub fn sha256_hex(&self) -> String {
        hex(&self.sha256)
    }
}

/// Read `reader` to the end in 64 KiB blocks, computing all [`Digests`], and copy the bytes into `sink` if given.
///
/// Errors: the first read or write error (interrupted reads are retried).
pub fn hash_stream(
    reader: &mut impl Read,
    mut sink: Option<&mut dyn Write>,
) -> std::io::Result<Digests> {
    use rattler_digest::digest::Digest;
    let mut blake = blake3::Hasher::new();
    let mut sha = rattler_digest::Sha256::new();
    let mut md5 = rattler_digest::Md5::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        blake.update(&buf[..n]);
        sha.update(&buf[..n]);
        md5.update(&buf[..n]);
        size += n as u64;
        if let Some(sink) = sink.as_deref_mut() {
            sink.write_all(&buf[..n])?;
        }
    }
    Ok(Digests {
        blake3: blake.finalize().to_hex().to_string(),
        sha256: sha.finalize(),
        md5: md5.finalize(),
        size,
    })
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_of_abc_match_the_published_vectors() {
        let mut sink = Vec::new();
        let d = hash_stream(&mut &b"abc"[..], Some(&mut sink)).unwrap();
        assert_eq!(
            d.sha256_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(hex(&d.md5), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(
            d.blake3,
            "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85"
        );
        assert_eq!((d.size, sink.as_slice()), (3, &b"abc"[..]));
    }
}
