//! The two derives behind "one declaration per table".
//!
//! - [`Table`](macro@Table), on a SeaORM `Model` in the `entity` crate, reads the columns once and
//!   writes what GraphQL needs to know about them: the create and update inputs with the checks
//!   that mirror the table's CHECK constraints, the list filter, the order input, and the
//!   table's metadata (`entity::table::Table`).
//! - [`Resource`](macro@Resource), on the GraphQL object of a table in the server crate, writes
//!   its query, mutation, `me` and subscription fields, each a call into the generic paths of
//!   `crate::table`, which go through the policy.
//!
//! What the derives write is plain Rust: `cargo expand` shows it, and every generic path it
//! calls is an ordinary function a reader can open.
mod resource;
mod table;

use proc_macro::TokenStream;

/// Derives a table's inputs, filter, order and metadata from its SeaORM model.
///
/// On the struct: `#[table(name = "ContentDraft", label = "content draft")]`, plus
/// `client = "client_user_id"` for a second reader and `read_only` for tables no mutation
/// writes. On fields (`#[table(...)]`, several per attribute allowed):
/// `owner`, `read_only`, `create_only`, `default` (NOT NULL with a database default),
/// `not_blank`, `json_array`, `json_object`, `range(min, max)`, `min = n`,
/// `references = "table"`, `references_many = "table"` (a JSON array of ids), `check = "path"`.
/// `id`, `created_at` and `updated_at` are read-only by convention; decimals are held to the
/// precision and scale of their `column_type`; `#[graphql(skip)]` columns are neither shown,
/// filtered, ordered nor written.
#[proc_macro_derive(Table, attributes(table))]
pub fn derive_table(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    table::expand(input).unwrap_or_else(syn::Error::into_compile_error).into()
}

/// Derives a table's root fields from its GraphQL object, a newtype over the model.
///
/// `#[resource(table = "content_drafts", fetch, list, create, update, delete, me, live)]`, each
/// flag adding its fields; `plural = "…"` overrides the field name of lists.
#[proc_macro_derive(Resource, attributes(resource))]
pub fn derive_resource(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    resource::expand(input).unwrap_or_else(syn::Error::into_compile_error).into()
}
