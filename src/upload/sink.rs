//! `archi build --upload URL`: an upload target as a publish [`Sink`], called after the local channel has the
//! package (see [`crate::publish::Chain`]).

use std::sync::Mutex;

use super::{Artifact, Uploader};
use crate::channel::ChannelError;
use crate::publish::Sink;
use crate::store::StoreEntry;

/// Uploads every published store entry; after a 401/403 every further publish fails at once without a request.
pub struct UploadSink {
    uploader: Box<dyn Uploader>,
    refused: Mutex<Option<String>>,
}

impl UploadSink {
    /// A sink sending to `uploader`.
    pub fn new(uploader: Box<dyn Uploader>) -> UploadSink {
        UploadSink {
            uploader,
            refused: Mutex::new(None),
        }
    }
}

impl Sink for UploadSink {
    fn publish(&self, entry: &StoreEntry) -> Result<(), ChannelError> {
        let remote = |source: super::UploadError| ChannelError::Remote {
            destination: self.uploader.describe(),
            source: Box::new(source),
        };
        if let Some(reason) = self
            .refused
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            return Err(remote(super::UploadError::Usage {
                message: format!("not uploaded: {reason}"),
            }));
        }
        let artifact = Artifact::read(&entry.artifact_path()).map_err(remote)?;
        match self.uploader.upload(&artifact) {
            Ok(outcome) => {
                tracing::info!(
                    "{}: {:?} to {}",
                    artifact.file_name,
                    outcome,
                    self.uploader.describe()
                );
                Ok(())
            }
            Err(err) => {
                if matches!(err, super::UploadError::Unauthorized { .. }) {
                    *self.refused.lock().unwrap_or_else(|e| e.into_inner()) = Some(err.to_string());
                }
                Err(remote(err))
            }
        }
    }

    fn describe(&self) -> String {
        self.uploader.describe()
    }
}
