//! Private files: the data directory and the key directory are 0700, the SQLite database and the
//! key files 0600. They are created that way, and tightened with a warning when found looser
//! (a copy or an old version may have left them readable by other local users).
//!
//! On other platforms than Unix these are plain creations.

use std::path::Path;

use anyhow::Context;

/// Creates `dir` (and its missing parents) as 0700, or tightens an existing `dir` to 0700.
#[cfg(unix)]
pub fn private_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    if !dir.is_dir() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("creating directory `{}`", dir.display()))?;
    }
    tighten(dir, 0o700)
}

/// Creates `dir` (and its missing parents).
#[cfg(not(unix))]
pub fn private_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating directory `{}`", dir.display()))
}

/// Tightens an existing file to 0600 (nothing when it does not exist).
#[cfg(unix)]
pub fn private_file(path: &Path) -> anyhow::Result<()> {
    if path.exists() {
        tighten(path, 0o600)?;
    }
    Ok(())
}

/// Nothing to tighten on this platform.
#[cfg(not(unix))]
pub fn private_file(_path: &Path) -> anyhow::Result<()> {
    Ok(())
}

/// Creates a new file readable only by its owner and writes `bytes`; an existing file is an error.
pub fn create_private_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("creating `{}`", path.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("writing `{}`", path.display()))
}

/// The permission bits of a path (Unix), for tests and diagnostics.
#[cfg(unix)]
pub fn mode(path: &Path) -> std::io::Result<u32> {
    use std::os::unix::fs::PermissionsExt as _;
    Ok(std::fs::metadata(path)?.permissions().mode() & 0o777)
}

#[cfg(unix)]
fn tighten(path: &Path, wanted: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let current = mode(path).with_context(|| format!("reading `{}`", path.display()))?;
    // Only group and other bits are removed; the owner keeps what it has.
    if current & 0o077 != 0 {
        let tightened = current & !0o077 & 0o777 | (wanted & 0o700);
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(tightened))
            .with_context(|| format!("restricting the permissions of `{}`", path.display()))?;
        tracing::warn!(
            path = %path.display(),
            was = format!("{current:o}"),
            now = format!("{tightened:o}"),
            "tightened the permissions of a private file (other local users could read it)"
        );
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    #[test]
    fn creates_private_and_tightens_looser_modes() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("a/b");
        private_dir(&data).unwrap();
        assert_eq!(mode(&data).unwrap(), 0o700);
        let file = data.join("f");
        create_private_file(&file, b"x").unwrap();
        assert_eq!(mode(&file).unwrap(), 0o600);
        assert!(
            create_private_file(&file, b"y").is_err(),
            "never overwrites"
        );
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
        private_file(&file).unwrap();
        private_dir(&data).unwrap();
        assert_eq!(mode(&file).unwrap(), 0o600);
        assert_eq!(mode(&data).unwrap(), 0o700);
        private_file(&data.join("absent")).unwrap();
    }
}
