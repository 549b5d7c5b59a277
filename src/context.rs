//! The context of a run: what rendering, planning and solving need and nothing that writes. A [`Context`] holds
//! the workspace, the build machine's platform and `PATH`, the channels solved from and the toolchain identity
//! cache; it never opens the store, so `archi render`, `archi solve` and a future `rerender` stay read-only.

use std::path::{Path, PathBuf};

use rattler_conda_types::{Subdir, Version};

use crate::prefix::{self, ChannelSource};
use crate::recipe::{LoadedRecipe, RecipeError};
use crate::render::{self, RenderOptions, RenderedRecipe};
use crate::toolchain::IdentityCache;
use crate::workspace::Workspace;

/// Everything a run reads, resolved once from the command line, `archi.toml` and the environment.
#[derive(Debug)]
pub struct Context {
    /// The workspace (pins, toolchain table, recipe roots).
    pub workspace: Workspace,
    /// This machine's platform (`build_platform` of every build).
    pub build_platform: Subdir,
    /// The caller's `PATH`, searched for toolchain programs (it never reaches a build script as such).
    pub machine_path: String,
    /// The channel packages are published to; solved first after the packages of the run itself.
    pub output_channel: PathBuf,
    /// Upstream channels, solved after the output channel in this order.
    pub channels: Vec<ChannelSource>,
    /// Toolchain identities, shared by every build of the run.
    pub identities: IdentityCache,
}

impl Context {
    /// Render `recipe` for `target` with the workspace's pins and toolchain for that platform.
    ///
    /// Errors: the recipe's template, name, version or spec errors, with their spans.
    pub fn render(
        &self,
        recipe: &LoadedRecipe,
        target: Subdir,
    ) -> Result<RenderedRecipe, RecipeError> {
        let pins = self.workspace.pins_for(target);
        let tools = self.workspace.toolchain_for(target);
        let packaged = self.workspace.packaged_toolchain_for(target);
        render::render(
            recipe,
            &RenderOptions {
                target_platform: target,
                build_platform: self.build_platform,
                pins: &pins,
                toolchain: &tools,
                packaged: &packaged,
            },
        )
    }

    /// The glibc version packages for `platform` require: pins.toml's `glibc`, else this machine's when it is
    /// the build platform.
    pub fn glibc_for(&self, platform: Subdir) -> Option<Version> {
        let configured = self
            .workspace
            .platform(platform)
            .and_then(|p| p.glibc.as_deref())
            .and_then(|v| v.parse().ok());
        configured.or_else(|| {
            (platform == self.build_platform && platform.is_linux())
                .then(prefix::host_glibc_version)
                .flatten()
        })
    }

    /// The channels a build's environments are solved from, in priority order: the output channel, then the
    /// upstream channels.
    ///
    /// Errors: the output channel path cannot be turned into a `file://` URL.
    pub fn solve_channels(&self) -> Result<Vec<ChannelSource>, prefix::PrefixError> {
        let mut channels = vec![ChannelSource::from_dir(&self.output_channel)?];
        channels.extend(self.channels.iter().cloned());
        Ok(channels)
    }

    /// Where build logs go: `logs/` beside the output channel.
    pub fn logs_dir(&self) -> PathBuf {
        self.beside_channel("logs")
    }

    /// `name` in the directory that holds the output channel (`channels/timeline.svg` for `channels/local`).
    pub fn beside_channel(&self, name: &str) -> PathBuf {
        self.output_channel
            .parent()
            .unwrap_or(Path::new("."))
            .join(name)
    }
}
