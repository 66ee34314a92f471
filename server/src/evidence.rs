//! Evidence signing: an Ed25519 key created on first run, detached signatures over packet bytes.
//!
//! The key is `keys/evidence-ed25519.key` (hex seed, mode 0600) in the data directory, with the
//! public key beside it (`evidence-ed25519.pub`, hex). Replicas must share the key file (mount
//! the same secret) so that every packet verifies against one public key.

use std::path::{Path, PathBuf};

use anyhow::Context;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use sha2::{Digest as _, Sha256};

/// File name of the private key.
pub const KEY_FILE: &str = "evidence-ed25519.key";
/// File name of the public key.
pub const PUBLIC_KEY_FILE: &str = "evidence-ed25519.pub";
/// Suffix of a detached signature file.
pub const SIGNATURE_SUFFIX: &str = ".sig";

/// The packet signer.
#[derive(Clone)]
pub struct Signer {
    key: SigningKey,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("public_key", &self.public_hex())
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// Loads the key from `dir`, creating it (and the directory) on first run.
    pub fn load_or_create(dir: &Path) -> anyhow::Result<Signer> {
        let key_path = dir.join(KEY_FILE);
        let key = if key_path.exists() {
            let text = std::fs::read_to_string(&key_path)
                .with_context(|| format!("reading signing key `{}`", key_path.display()))?;
            let bytes = hex::decode(text.trim()).context("signing key is not hex")?;
            let seed: [u8; 32] = bytes
                .try_into()
                .map_err(|_| anyhow::anyhow!("signing key must be 32 bytes"))?;
            SigningKey::from_bytes(&seed)
        } else {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating key directory `{}`", dir.display()))?;
            let mut seed = [0u8; 32];
            argon2::password_hash::rand_core::RngCore::fill_bytes(
                &mut argon2::password_hash::rand_core::OsRng,
                &mut seed,
            );
            let key = SigningKey::from_bytes(&seed);
            write_private(&key_path, &hex::encode(seed))?;
            tracing::info!(path = %key_path.display(), "created the evidence signing key");
            key
        };
        let signer = Signer { key };
        let public_path = dir.join(PUBLIC_KEY_FILE);
        std::fs::write(&public_path, format!("{}\n", signer.public_hex()))
            .with_context(|| format!("writing `{}`", public_path.display()))?;
        Ok(signer)
    }

    /// The public key, hex.
    pub fn public_hex(&self) -> String {
        hex::encode(self.key.verifying_key().to_bytes())
    }

    /// A detached signature over `bytes`, hex.
    pub fn sign(&self, bytes: &[u8]) -> String {
        hex::encode(self.key.sign(bytes).to_bytes())
    }
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::io::Write as _;
        use std::os::unix::fs::OpenOptionsExt as _;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .with_context(|| format!("creating `{}`", path.display()))?;
        file.write_all(text.as_bytes())
            .with_context(|| format!("writing `{}`", path.display()))?;
    }
    #[cfg(not(unix))]
    std::fs::write(path, text).with_context(|| format!("writing `{}`", path.display()))?;
    Ok(())
}

/// Why a packet failed verification.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    /// The signature or key text is malformed.
    #[error("{0}")]
    Malformed(String),
    /// The signature does not match the bytes under this key.
    #[error("the signature does not match the packet under this key")]
    BadSignature,
}

/// Checks a detached hex signature over `bytes` with a hex public key.
pub fn verify(bytes: &[u8], signature_hex: &str, public_hex: &str) -> Result<(), VerifyError> {
    let key: [u8; 32] = hex::decode(public_hex.trim())
        .map_err(|_| VerifyError::Malformed("the public key is not hex".into()))?
        .try_into()
        .map_err(|_| VerifyError::Malformed("the public key must be 32 bytes".into()))?;
    let key = VerifyingKey::from_bytes(&key)
        .map_err(|_| VerifyError::Malformed("the public key is not a valid Ed25519 key".into()))?;
    let signature: [u8; 64] = hex::decode(signature_hex.trim())
        .map_err(|_| VerifyError::Malformed("the signature is not hex".into()))?
        .try_into()
        .map_err(|_| VerifyError::Malformed("the signature must be 64 bytes".into()))?;
    key.verify(bytes, &Signature::from_bytes(&signature))
        .map_err(|_| VerifyError::BadSignature)
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Writes a packet and its signature into the evidence directory (atomically: temp + rename).
pub fn write_packet_files(
    dir: &Path,
    file_name: &str,
    packet: &[u8],
    signature_hex: &str,
) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating evidence directory `{}`", dir.display()))?;
    let path = dir.join(file_name);
    let signature_path = dir.join(format!("{file_name}{SIGNATURE_SUFFIX}"));
    for (target, bytes) in [
        (&path, packet),
        (&signature_path, format!("{signature_hex}\n").as_bytes()),
    ] {
        let temp = target.with_extension("tmp");
        std::fs::write(&temp, bytes).with_context(|| format!("writing `{}`", temp.display()))?;
        std::fs::rename(&temp, target)
            .with_context(|| format!("renaming to `{}`", target.display()))?;
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_round_trip_and_detect_a_changed_byte() {
        let dir = tempfile::tempdir().unwrap();
        let signer = Signer::load_or_create(dir.path()).unwrap();
        let again = Signer::load_or_create(dir.path()).unwrap();
        assert_eq!(signer.public_hex(), again.public_hex(), "key is reused");
        let signature = signer.sign(b"packet");
        assert_eq!(verify(b"packet", &signature, &signer.public_hex()), Ok(()));
        assert_eq!(
            verify(b"packes", &signature, &signer.public_hex()),
            Err(VerifyError::BadSignature)
        );
    }
}
