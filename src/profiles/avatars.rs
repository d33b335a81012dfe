//! Avatars: a signed-in user uploads (GraphQL multipart request) or removes the avatar of their
//! own profile. The bytes decide the format: JPEG, PNG, WebP or GIF by their magic bytes,
//! whatever the file's name or declared type, at most `AVATAR_MAX_BYTES`. The bytes go to the
//! avatar store ([`crate::avatars`]), the format to `creator_profiles.avatar_content_type`, in
//! one transaction with the audit entry (`profile.avatar`); the profile shows a signed URL.
use std::io::Read as _;

use async_graphql::{Context, InputValueError, InputValueResult, Object, Scalar, ScalarType, UploadValue, Value};
use axum::body::Bytes;
use entity::creator_profiles;
use entity::enums::AvatarContentType;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QuerySelect, Set};
use serde_json::Value as Json;
use uuid::Uuid;

use super::CreatorProfile;
use crate::audit;
use crate::auth::Viewer;
use crate::auth::policy::{self, Op};
use crate::error::{AppError, AppResult};
use crate::events::ChangeKind;
use crate::limits::Rule;
use crate::state::AppState;
use crate::table;

/// A file sent with a GraphQL multipart request: its variable is `null` in `operations` and
/// named in `map`.
///
/// In place of `async_graphql::Upload`, whose parsing and reading panic on a placeholder that
/// names no file of the request (`"#__graphql_file__:x"` as a plain value, say): here either is
/// `BAD_USER_INPUT`.
pub struct FileUpload(usize);

/// What async-graphql writes in place of the variable a file of a multipart request fills.
const PLACEHOLDER: &str = "#__graphql_file__:";

/// A file of a GraphQL multipart request (github.com/jaydenseric/graphql-multipart-request-spec):
/// `null` in `operations`, named in `map`.
#[Scalar(name = "Upload")]
impl ScalarType for FileUpload {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => match s.strip_prefix(PLACEHOLDER).and_then(|n| n.parse().ok()) {
                Some(index) => Ok(Self(index)),
                None => Err(InputValueError::custom("not a file of this request")),
            },
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::Null
    }
}

impl FileUpload {
    /// The file, if the request carries it.
    fn value(&self, ctx: &Context<'_>, field: &str) -> AppResult<UploadValue> {
        let upload = ctx
            .query_env
            .uploads
            .get(self.0)
            .ok_or_else(|| AppError::bad_input(field, "is not a file of this request"))?;
        upload.try_clone().map_err(|_| AppError::bad_input(field, "the upload cannot be read"))
    }
}

#[derive(Default)]
pub struct AvatarMutation;

#[Object]
impl AvatarMutation {
    /// Uploads the caller's avatar, replacing the one before, as a GraphQL multipart request
    /// (`file` is the upload). JPEG, PNG, WebP and GIF are accepted, judged by the file's bytes
    /// (not its name or declared type), up to `AVATAR_MAX_BYTES` (2 MB by default); anything
    /// else is `BAD_USER_INPUT` on `file`. Returns the profile, its `avatarUrl` signed afresh.
    async fn upload_avatar(&self, ctx: &Context<'_>, file: FileUpload) -> async_graphql::Result<CreatorProfile> {
        let viewer = table::viewer(ctx)?;
        let user = own_profile_user(viewer)?;
        let state = table::state(ctx)?;
        state.limits.consume(Rule::Costly, &user.to_string(), 1).await?;
        let upload = file.value(ctx, "file")?;
        let max = state.avatars.max_bytes;
        let bytes = read_at_most(upload.content, max).await?;
        if bytes.len() > max {
            return Err(AppError::bad_input("file", format!("is larger than {max} bytes")).into());
        }
        let format = AvatarContentType::sniff(&bytes)
            .ok_or_else(|| AppError::bad_input("file", "is not a JPEG, PNG, WebP or GIF image"))?;
        let size = bytes.len();

        let txn = crate::db::write_txn(table::db(ctx)?).await.map_err(AppError::from)?;
        let row = own_profile(ctx, viewer, user)?.lock_exclusive().one(&txn).await.map_err(AppError::from)?;
        let row = row.ok_or(AppError::NotFound("creator profile"))?;
        // Uploads of one user wait for each other on the row's lock, so the stored bytes and
        // the recorded format change together.
        state.avatars.put(user, bytes).await.map_err(|err| {
            tracing::error!(error = %err, "cannot store an avatar");
            AppError::Internal
        })?;
        let mut active = row.clone().into_active_model();
        active.avatar_content_type = Set(Some(format));
        active.avatar_url = Set(None);
        let model = active.update(&txn).await.map_err(AppError::from)?;
        let mut entry = change_entry(user, &row, &model);
        if let Some(Json::Object(after)) = entry.after.as_mut() {
            after.insert("avatar_bytes".into(), size.into());
        }
        audit::record_for(ctx, &txn, entry).await?;
        table::commit::<creator_profiles::Entity>(ctx, txn, ChangeKind::Updated, &model).await?;
        Ok(CreatorProfile { row: model })
    }

    /// Removes the caller's avatar (and the link set before uploads existed). Returns the
    /// profile; removing an avatar that is not there changes nothing.
    async fn remove_avatar(&self, ctx: &Context<'_>) -> async_graphql::Result<CreatorProfile> {
        let viewer = table::viewer(ctx)?;
        let user = own_profile_user(viewer)?;
        let state = table::state(ctx)?;
        let txn = crate::db::write_txn(table::db(ctx)?).await.map_err(AppError::from)?;
        let row = own_profile(ctx, viewer, user)?.lock_exclusive().one(&txn).await.map_err(AppError::from)?;
        let row = row.ok_or(AppError::NotFound("creator profile"))?;
        let model = if row.avatar_content_type.is_none() && row.avatar_url.is_none() {
            txn.commit().await.map_err(AppError::from)?;
            row
        } else {
            let mut active = row.clone().into_active_model();
            active.avatar_content_type = Set(None);
            active.avatar_url = Set(None);
            let model = active.update(&txn).await.map_err(AppError::from)?;
            audit::record_for(ctx, &txn, change_entry(user, &row, &model)).await?;
            table::commit::<creator_profiles::Entity>(ctx, txn, ChangeKind::Updated, &model).await?;
            model
        };
        // After the commit: a failure leaves bytes nobody can reach (no URL is signed for a
        // profile without a format), logged, and the next upload or the account's deletion
        // replaces or removes them.
        if let Err(err) = state.avatars.delete(user).await {
            tracing::warn!(error = %err, %user, "cannot delete a removed avatar");
        }
        Ok(CreatorProfile { row: model })
    }
}

/// The user whose profile the caller may change the avatar of: their own only. The service
/// role has no profile of its own.
fn own_profile_user(viewer: &Viewer) -> AppResult<Uuid> {
    match viewer {
        Viewer::User { id, .. } => Ok(*id),
        Viewer::Service => Err(AppError::Forbidden),
        Viewer::Anonymous => Err(AppError::Unauthenticated),
    }
}

/// The caller's profile, as the policy lets them update it.
fn own_profile(ctx: &Context<'_>, viewer: &Viewer, user: Uuid) -> AppResult<sea_orm::Select<creator_profiles::Entity>> {
    let backend = table::db(ctx)?.get_database_backend();
    Ok(policy::scope::<creator_profiles::Entity>(viewer, Op::Update, backend)?
        .filter(creator_profiles::Column::UserId.eq(user)))
}

/// The audit entry of an avatar change of `user`'s profile from `before` to `after`.
fn change_entry(user: Uuid, before: &creator_profiles::Model, after: &creator_profiles::Model) -> audit::Entry {
    let json = |m: &creator_profiles::Model| serde_json::to_value(m).ok();
    audit::Entry::new("profile.avatar", Some(user)).change("creator_profiles", after.id, json(before), json(after))
}

/// The upload's bytes, reading at most one byte more than `max` (enough to know it is too
/// large) off the request's temporary file.
async fn read_at_most(file: std::fs::File, max: usize) -> AppResult<Vec<u8>> {
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    let read = tokio::task::spawn_blocking(move || {
        let mut bytes = Vec::new();
        file.take(limit).read_to_end(&mut bytes).map(|_| bytes)
    });
    match read.await {
        Ok(Ok(bytes)) => Ok(bytes),
        _ => Err(AppError::bad_input("file", "the upload cannot be read")),
    }
}

/// `user`'s avatar as served: its format and bytes, `None` when their profile has none. The
/// profile decides whether there is one (bytes a failed deletion left behind are never
/// served); the bytes decide the type they go out as.
pub async fn stored(state: &AppState, user: Uuid) -> AppResult<Option<(AvatarContentType, Bytes)>> {
    let profile =
        creator_profiles::Entity::find().filter(creator_profiles::Column::UserId.eq(user)).one(&state.db).await?;
    let Some(recorded) = profile.and_then(|p| p.avatar_content_type) else { return Ok(None) };
    match state.avatars.get(user).await {
        Ok(Some(bytes)) => Ok(Some((AvatarContentType::sniff(&bytes).unwrap_or(recorded), bytes))),
        Ok(None) => {
            tracing::warn!(%user, "a profile names an avatar its store does not hold");
            Ok(None)
        }
        Err(err) => {
            tracing::error!(error = %err, "cannot read an avatar");
            Err(AppError::Internal)
        }
    }
}
