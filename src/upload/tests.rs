use super::*;

#[test]
fn the_url_tells_the_kind() {
    let t = Target::parse("http://127.0.0.1:8000/get/archi", None, None, None, false).unwrap();
    assert_eq!(t.kind, Kind::Quetz);
    assert_eq!(t.channel.as_deref(), Some("archi"));
    assert_eq!(t.url.as_str(), "http://127.0.0.1:8000/");
    let t = Target::parse(
        "https://api.anaconda.org",
        None,
        None,
        Some("me".into()),
        false,
    )
    .unwrap();
    assert_eq!(t.kind, Kind::Anaconda);
    let t = Target::parse("s3://bucket/conda", None, None, None, false).unwrap();
    assert_eq!(t.kind, Kind::S3);
    let t = Target::parse("/tmp/some/channel", None, None, None, false).unwrap();
    assert_eq!(t.kind, Kind::Dir);
    assert_eq!(t.url.as_str(), "file:///tmp/some/channel/");
    let err = Target::parse("ftp://x/y", None, None, None, false).unwrap_err();
    assert!(err.to_string().contains("--kind"), "{err}");
    let err = Target::parse("http://h/get/a", None, Some("b".into()), None, false).unwrap_err();
    assert!(err.to_string().contains("`a`"), "{err}");
}

#[test]
fn a_secret_never_shows_in_debug() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("key");
    fs_err::write(&file, "s3cr3t-key\n").unwrap();
    let secret = credential(Kind::Quetz, Some(&file)).unwrap().unwrap();
    assert_eq!(secret.expose(), "s3cr3t-key");
    assert!(!format!("{secret:?}").contains("s3cr3t"));
    fs_err::write(&file, "\n").unwrap();
    let err = credential(Kind::Quetz, Some(&file)).unwrap_err();
    assert!(err.to_string().contains("empty"), "{err}");
}

#[test]
fn missing_channel_owner_or_credential_is_a_usage_error() {
    let quetz = Target::parse("http://127.0.0.1:1", None, None, None, false).unwrap();
    let Err(err) = uploader(&quetz, Some(Secret("k".into()))) else {
        panic!("accepted")
    };
    assert!(err.to_string().contains("--channel"), "{err}");
    let anaconda = Target::parse(
        "http://127.0.0.1:1",
        Some(Kind::Anaconda),
        None,
        None,
        false,
    )
    .unwrap();
    let Err(err) = uploader(&anaconda, Some(Secret("k".into()))) else {
        panic!("accepted")
    };
    assert!(err.to_string().contains("--owner"), "{err}");
    let anaconda = Target {
        owner: Some("me".into()),
        ..anaconda
    };
    let Err(err) = uploader(&anaconda, None) else {
        panic!("accepted")
    };
    assert!(err.to_string().contains(ARCHI_ANACONDA_TOKEN), "{err}");
}

#[test]
fn a_file_already_there_is_skipped_by_sha256_and_refused_if_different_unless_forced() {
    let artifact = Artifact {
        path: PathBuf::from("/c/linux-64/zlib-1.2.13-h0_0.conda"),
        file_name: "zlib-1.2.13-h0_0.conda".into(),
        name: "zlib".into(),
        version: "1.2.13".into(),
        subdir: "linux-64".into(),
        sha256: "aa".into(),
        md5: "bb".into(),
        md5_base64: "uw==".into(),
        size: 1,
        index_json: serde_json::json!({"name": "zlib"}),
        summary: None,
        license: None,
    };
    let server = || "quetz at http://127.0.0.1".to_string();
    assert!(matches!(
        against_remote(&artifact, None, false, server),
        Ok(None)
    ));
    assert!(matches!(
        against_remote(&artifact, Some("aa".into()), false, server),
        Ok(Some(Outcome::Skipped))
    ));
    let err = against_remote(&artifact, Some("cc".into()), false, server).unwrap_err();
    assert!(
        matches!(&err, UploadError::Conflict { file, local, remote, .. }
            if file == "zlib-1.2.13-h0_0.conda" && local == "aa" && remote == "cc"),
        "{err}"
    );
    assert!(matches!(
        against_remote(&artifact, Some("cc".into()), true, server),
        Ok(None)
    ));
}
