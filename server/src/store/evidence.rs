//! Signed evidence packets, as stored (the files under the data directory are copies).

use sqlx::AnyConnection;

use app::backend::{BackendError, EvidencePacket};

use super::{rfc3339, Result};

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    pack_id: String,
    digest: String,
    event: String,
    sha256: String,
    file_name: String,
    created_at: i64,
    signature: String,
    public_key: String,
    #[sqlx(default)]
    packet_json: String,
}

impl From<Row> for EvidencePacket {
    fn from(row: Row) -> Self {
        EvidencePacket {
            id: row.id,
            pack_id: row.pack_id,
            digest: row.digest,
            event: row.event,
            sha256: row.sha256,
            file_name: row.file_name,
            created_at: rfc3339(row.created_at),
            signature: row.signature,
            public_key: row.public_key,
            packet: row.packet_json,
        }
    }
}

const COLUMNS: &str =
    "id, pack_id, digest, event, sha256, file_name, created_at, signature, public_key";

/// A packet to store.
#[derive(Debug, Clone)]
pub struct NewPacket<'a> {
    /// Pack.
    pub pack_id: &'a str,
    /// The digest the packet is about.
    pub digest: &'a str,
    /// The gate event (`publish`, `signoff`, `promotion`, …).
    pub event: &'a str,
    /// The packet's exact bytes, as text.
    pub packet_json: &'a str,
    /// Their SHA-256 (hex).
    pub sha256: &'a str,
    /// Detached Ed25519 signature over the bytes.
    pub signature: &'a str,
    /// The signing key's public half (hex).
    pub public_key: &'a str,
    /// The file name of the copy on disk.
    pub file_name: &'a str,
    /// When (unix ms).
    pub created_at: i64,
}

/// Stores a packet and returns its id.
pub async fn insert(conn: &mut AnyConnection, packet: &NewPacket<'_>) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO evidence_packets (pack_id, digest, event, packet_json, sha256, signature, public_key, file_name, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(packet.pack_id)
    .bind(packet.digest)
    .bind(packet.event)
    .bind(packet.packet_json)
    .bind(packet.sha256)
    .bind(packet.signature)
    .bind(packet.public_key)
    .bind(packet.file_name)
    .bind(packet.created_at)
    .fetch_one(&mut *conn)
    .await?)
}

/// Packets of a pack, newest first, without their bytes.
pub async fn list(conn: &mut AnyConnection, pack_id: &str) -> Result<Vec<EvidencePacket>> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM evidence_packets WHERE pack_id = $1 ORDER BY id DESC"
    ))
    .bind(pack_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(EvidencePacket::from).collect())
}

/// One packet with its bytes and signature.
pub async fn get(conn: &mut AnyConnection, evidence_id: i64) -> Result<EvidencePacket> {
    let row: Row = sqlx::query_as(&format!(
        "SELECT {COLUMNS}, packet_json FROM evidence_packets WHERE id = $1"
    ))
    .bind(evidence_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| BackendError::NotFound(format!("no evidence packet {evidence_id}")))?;
    Ok(row.into())
}
