//! Accounts, sessions (only the token's SHA-256 is stored) and failed sign-ins.

use sqlx::AnyConnection;

use app::backend::{Actor, BackendError, Role};

use super::{Result, StringList};

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    username: String,
    role: String,
    #[sqlx(rename = "groups_json", try_from = "String")]
    groups: StringList,
}

impl TryFrom<UserRow> for Actor {
    type Error = BackendError;

    fn try_from(row: UserRow) -> std::result::Result<Self, BackendError> {
        Ok(Actor {
            id: row.id,
            role: Role::parse(&row.role).ok_or_else(|| {
                tracing::error!(role = row.role, "a stored role is unknown");
                BackendError::Unavailable
            })?,
            username: row.username,
            groups: row.groups.0,
        })
    }
}

/// A new account, its password already hashed.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    /// Login name.
    pub username: &'a str,
    /// argon2id PHC string.
    pub password_hash: &'a str,
    /// Role.
    pub role: Role,
    /// Approver groups.
    pub groups: &'a [String],
    /// When (unix ms).
    pub created_at: i64,
}

/// Stores an account and returns its id; a taken name is a unique violation.
pub async fn insert(conn: &mut AnyConnection, user: &NewUser<'_>) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO users (username, password_hash, role, groups_json, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(user.username)
    .bind(user.password_hash)
    .bind(user.role.as_str())
    .bind(StringList::to_json(user.groups))
    .bind(user.created_at)
    .fetch_one(&mut *conn)
    .await?)
}

/// The user of an unexpired session.
pub async fn by_session(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: i64,
) -> Result<Option<Actor>> {
    let row: Option<UserRow> = sqlx::query_as(
        "SELECT u.id, u.username, u.role, u.groups_json FROM sessions s \
         JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(Actor::try_from).transpose()?)
}

/// A user by id.
pub async fn by_id(conn: &mut AnyConnection, user_id: i64) -> Result<Option<Actor>> {
    let row: Option<UserRow> =
        sqlx::query_as("SELECT id, username, role, groups_json FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(row.map(Actor::try_from).transpose()?)
}

/// A user by name.
pub async fn by_name(conn: &mut AnyConnection, username: &str) -> Result<Option<Actor>> {
    Ok(credentials(conn, username).await?.map(|(actor, _)| actor))
}

/// A user by name with the stored password hash.
pub async fn credentials(
    conn: &mut AnyConnection,
    username: &str,
) -> Result<Option<(Actor, String)>> {
    #[derive(sqlx::FromRow)]
    struct WithHash {
        #[sqlx(flatten)]
        user: UserRow,
        password_hash: String,
    }
    let row: Option<WithHash> = sqlx::query_as(
        "SELECT id, username, role, groups_json, password_hash FROM users WHERE username = $1",
    )
    .bind(username)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(row) => Ok(Some((Actor::try_from(row.user)?, row.password_hash))),
        None => Ok(None),
    }
}

/// Failed sign-ins of an account name after `since`: how many, and the latest time.
pub async fn account_failures(
    conn: &mut AnyConnection,
    username: &str,
    since: i64,
) -> Result<(i64, Option<i64>)> {
    Ok(sqlx::query_as(
        "SELECT COUNT(*) AS n, MAX(at) AS latest FROM login_failures \
         WHERE username = $1 AND at > $2",
    )
    .bind(username)
    .bind(since)
    .fetch_one(&mut *conn)
    .await?)
}

/// Failed sign-ins from a client (its throttle key) after `since`: how many, and the latest time.
pub async fn client_failures(
    conn: &mut AnyConnection,
    client: &str,
    since: i64,
) -> Result<(i64, Option<i64>)> {
    Ok(sqlx::query_as(
        "SELECT COUNT(*) AS n, MAX(at) AS latest FROM login_failures \
         WHERE client = $1 AND at > $2",
    )
    .bind(client)
    .bind(since)
    .fetch_one(&mut *conn)
    .await?)
}

/// Records a failed (or not yet decided) sign-in; returns its id.
pub async fn record_failure(
    conn: &mut AnyConnection,
    username: &str,
    client: &str,
    at: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO login_failures (username, client, at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(username)
    .bind(client)
    .bind(at)
    .fetch_one(&mut *conn)
    .await?)
}

/// Removes one recorded sign-in (an attempt whose password was never checked).
pub async fn forget_failure(conn: &mut AnyConnection, id: i64) -> Result<()> {
    sqlx::query("DELETE FROM login_failures WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Deletes up to `limit` failures at or before `before`, oldest first; returns how many.
pub async fn prune_failures(conn: &mut AnyConnection, before: i64, limit: i64) -> Result<u64> {
    let done = sqlx::query(
        "DELETE FROM login_failures WHERE id IN \
         (SELECT id FROM login_failures WHERE at <= $1 ORDER BY at LIMIT $2)",
    )
    .bind(before)
    .bind(limit)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

/// How many failed sign-ins are stored (for tests and operators).
pub async fn failure_rows(conn: &mut AnyConnection) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM login_failures")
        .fetch_one(&mut *conn)
        .await?)
}

/// Opens a session after a successful sign-in: clears the name's failures and expired sessions.
pub async fn open_session(
    conn: &mut AnyConnection,
    username: &str,
    user_id: i64,
    token_hash: &str,
    now: i64,
    expires_at: i64,
) -> Result<()> {
    sqlx::query("DELETE FROM login_failures WHERE username = $1")
        .bind(username)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Ends a session.
pub async fn close_session(conn: &mut AnyConnection, token_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
