//! Evidence signing: an Ed25519 key created on first run, detached signatures over packet bytes
//! and over audit entries.
//!
//! The key is `keys/evidence-ed25519.key` (hex seed) in the data directory, with the public key
//! beside it (`evidence-ed25519.pub`, hex, for people to copy; verification never trusts it just
//! because it is there). The directory is 0700 and both files 0600. Replicas must share the key
//! file (mount the same secret) so that every packet verifies against one public key. The
//! database pins the public key at first start ([`crate::service::keys`]), so a replaced key
//! file is refused instead of silently signing with an attacker's key.

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
    /// Loads the key from `dir`, creating it (and the directory) on first run; tightens looser
    /// permissions of the directory and the key files.
    pub fn load_or_create(dir: &Path) -> anyhow::Result<Signer> {
        crate::fsperm::private_dir(dir)?;
        let key_path = dir.join(KEY_FILE);
        let key = if key_path.exists() {
            crate::fsperm::private_file(&key_path)?;
            read_key(&key_path)?
        } else {
            let mut seed = [0u8; 32];
            argon2::password_hash::rand_core::RngCore::fill_bytes(
                &mut argon2::password_hash::rand_core::OsRng,
                &mut seed,
            );
            let key = SigningKey::from_bytes(&seed);
            crate::fsperm::create_private_file(&key_path, hex::encode(seed).as_bytes())?;
            tracing::info!(path = %key_path.display(), "created the evidence signing key");
            key
        };
        let signer = Signer { key };
        let public_path = dir.join(PUBLIC_KEY_FILE);
        let public_text = format!("{}\n", signer.public_hex());
        if std::fs::read_to_string(&public_path).ok().as_deref() != Some(public_text.as_str()) {
            // Replaced, not rewritten in place, so a looser old file does not keep its mode.
            let _ = std::fs::remove_file(&public_path);
            crate::fsperm::create_private_file(&public_path, public_text.as_bytes())?;
        }
        crate::fsperm::private_file(&public_path)?;
        Ok(signer)
    }

    /// Loads the key from `dir` when it has one; creates and changes nothing (for commands that
    /// only read, like `cavra audit verify`).
    pub fn load_existing(dir: &Path) -> anyhow::Result<Option<Signer>> {
        let key_path = dir.join(KEY_FILE);
        if !key_path.exists() {
            return Ok(None);
        }
        Ok(Some(Signer {
            key: read_key(&key_path)?,
        }))
    }

    /// A signer over a given seed (tests and tools; the server loads its key file).
    pub fn from_seed(seed: [u8; 32]) -> Signer {
        Signer {
            key: SigningKey::from_bytes(&seed),
        }
    }

    /// The public key's fingerprint (see [`fingerprint`]).
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.public_hex())
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

fn read_key(path: &Path) -> anyhow::Result<SigningKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading signing key `{}`", path.display()))?;
    let bytes = hex::decode(text.trim())
        .with_context(|| format!("signing key `{}` is not hex", path.display()))?;
    let seed: [u8; 32] = bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("signing key `{}` must be 32 bytes", path.display()))?;
    Ok(SigningKey::from_bytes(&seed))
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

/// Reads a public key given as a file holding hex, or as hex itself; returns lowercase hex.
pub fn read_public_key(file_or_hex: &str) -> anyhow::Result<String> {
    let path = Path::new(file_or_hex);
    let text = if path.is_file() {
        std::fs::read_to_string(path)
            .with_context(|| format!("reading public key `{}`", path.display()))?
    } else {
        file_or_hex.to_owned()
    };
    let text = text.trim().to_ascii_lowercase();
    let valid = hex::decode(&text)
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .is_some_and(|bytes| VerifyingKey::from_bytes(&bytes).is_ok());
    if !valid {
        anyhow::bail!(
            "`{file_or_hex}` is neither a file nor an Ed25519 public key (64 hex characters)"
        );
    }
    Ok(text)
}

/// A key's fingerprint: the first 32 hex characters of the SHA-256 of its 32 public-key bytes
/// (of the text when it is not hex), short enough to read aloud and compare.
pub fn fingerprint(public_hex: &str) -> String {
    let bytes = hex::decode(public_hex.trim()).unwrap_or_else(|_| public_hex.as_bytes().to_vec());
    let mut digest = sha256_hex(&bytes);
    digest.truncate(32);
    digest
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
        let other = Signer::from_seed([7; 32]);
        assert_eq!(
            verify(b"packet", &signature, &other.public_hex()),
            Err(VerifyError::BadSignature),
            "another key's signature is refused"
        );
    }

    #[cfg(unix)]
    #[test]
    fn key_files_are_private_and_loose_ones_are_tightened() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        Signer::load_or_create(&keys).unwrap();
        let mode = |name: &str| crate::fsperm::mode(&keys.join(name)).unwrap();
        assert_eq!(crate::fsperm::mode(&keys).unwrap(), 0o700);
        assert_eq!(mode(KEY_FILE), 0o600);
        assert_eq!(mode(PUBLIC_KEY_FILE), 0o600);
        for name in [KEY_FILE, PUBLIC_KEY_FILE] {
            std::fs::set_permissions(keys.join(name), std::fs::Permissions::from_mode(0o644))
                .unwrap();
        }
        Signer::load_or_create(&keys).unwrap();
        assert_eq!(mode(KEY_FILE), 0o600);
        assert_eq!(mode(PUBLIC_KEY_FILE), 0o600);
    }

    #[test]
    fn public_keys_are_read_from_hex_or_a_file() {
        let signer = Signer::from_seed([1; 32]);
        let hex = signer.public_hex();
        assert_eq!(read_public_key(&hex.to_uppercase()).unwrap(), hex);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("k.pub");
        std::fs::write(&file, format!("{hex}\n")).unwrap();
        assert_eq!(read_public_key(file.to_str().unwrap()).unwrap(), hex);
        assert!(read_public_key("abcd").is_err());
        assert!(read_public_key(dir.path().join("absent").to_str().unwrap()).is_err());
        assert_eq!(signer.fingerprint().len(), 32);
    }
}
