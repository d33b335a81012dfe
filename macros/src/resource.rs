//! `#[derive(Resource)]`: a table's root fields, each a call into `crate::table`.
use heck::{ToLowerCamelCase, ToSnakeCase};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{DeriveInput, LitStr};

#[derive(Default)]
struct ResourceArgs {
    table: String,
    plural: Option<String>,
    fetch: bool,
    list: bool,
    create: bool,
    update: bool,
    delete: bool,
    me: bool,
    live: bool,
    /// `(GraphQL field, column)`: what a field that is not a column reads of the row.
    reads: Vec<(String, String)>,
}

fn parse_args(input: &DeriveInput) -> syn::Result<ResourceArgs> {
    let mut args = ResourceArgs::default();
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("resource")) {
        attr.parse_nested_meta(|meta| {
            let p = &meta.path;
            if p.is_ident("table") {
                args.table = meta.value()?.parse::<LitStr>()?.value();
            } else if p.is_ident("plural") {
                args.plural = Some(meta.value()?.parse::<LitStr>()?.value());
            } else if p.is_ident("fetch") {
                args.fetch = true;
            } else if p.is_ident("list") {
                args.list = true;
            } else if p.is_ident("create") {
                args.create = true;
            } else if p.is_ident("update") {
                args.update = true;
            } else if p.is_ident("delete") {
                args.delete = true;
            } else if p.is_ident("me") {
                args.me = true;
            } else if p.is_ident("live") {
                args.live = true;
            } else if p.is_ident("reads") {
                meta.parse_nested_meta(|field| {
                    let name = field.path.get_ident().ok_or_else(|| field.error("a field name"))?;
                    let column = field.value()?.parse::<LitStr>()?.value();
                    args.reads.push((name.to_string().to_lower_camel_case(), column));
                    Ok(())
                })?;
            } else {
                return Err(meta.error("unknown resource attribute"));
            }
            Ok(())
        })?;
    }
    if args.table.is_empty() {
        return Err(syn::Error::new_spanned(input, "#[resource(table = \"…\")] is required"));
    }
    Ok(args)
}

/// `dailyDelivery` → `dailyDeliveries`, `contentDraft` → `contentDrafts`.
fn plural_of(singular: &str) -> String {
    match singular.strip_suffix('y') {
        Some(stem) if !stem.ends_with(['a', 'e', 'o', 'u']) => format!("{stem}ies"),
        _ => format!("{singular}s"),
    }
}

pub fn expand(input: DeriveInput) -> syn::Result<TokenStream> {
    let args = parse_args(&input)?;
    let ty = &input.ident;
    let table = format_ident!("{}", args.table);
    let module = quote! { entity::#table };
    let singular = ty.to_string().to_lower_camel_case();
    let plural = args.plural.clone().unwrap_or_else(|| plural_of(&singular));
    let words = ty.to_string().to_snake_case().replace('_', " ");
    let plural_words = plural.to_snake_case().replace('_', " ");
    let one_ident = format_ident!("{}", singular.to_snake_case());
    let list_ident = format_ident!("{}", plural.to_snake_case());

    // `Self(row)` for a newtype, `Self { row }` for a struct whose one field is the row.
    let construct = match &input.data {
        syn::Data::Struct(syn::DataStruct { fields: syn::Fields::Named(named), .. }) => {
            let field = named.named.first().and_then(|f| f.ident.clone());
            quote! { Self { #field: row } }
        }
        _ => quote! { Self(row) },
    };
    let reads = args.reads.iter().map(|(field, column)| quote! { (#field, #column) });
    let mut out = quote! {
        impl ::std::convert::From<#module::Model> for #ty {
            fn from(row: #module::Model) -> Self {
                #construct
            }
        }

        impl crate::table::Reads for #ty {
            const READS: &'static [(&'static str, &'static str)] = &[#(#reads),*];
        }
    };

    let page_args = quote! {
        filter: ::std::option::Option<#module::Filter>,
        order_by: ::std::option::Option<::std::vec::Vec<#module::Order>>,
        first: ::std::option::Option<i32>,
        after: ::std::option::Option<::std::string::String>,
        last: ::std::option::Option<i32>,
        before: ::std::option::Option<::std::string::String>,
    };
    let page = quote! { crate::table::PageArgs { first, after, last, before } };

    let mut query_fields = Vec::new();
    if args.fetch {
        let doc = format!("One {words} by id; `NOT_FOUND` unless the caller may read it.");
        query_fields.push(quote! {
            #[doc = #doc]
            async fn #one_ident(&self, ctx: &async_graphql::Context<'_>, id: uuid::Uuid) -> async_graphql::Result<#ty> {
                Ok(crate::table::fetch::<#module::Entity>(ctx, id).await?.into())
            }
        });
    }
    if args.list {
        let doc = format!("The {plural_words} the caller may read, a page at a time.");
        query_fields.push(quote! {
            #[doc = #doc]
            #[graphql(complexity = "crate::table::page_complexity(first, last, child_complexity)")]
            async fn #list_ident(&self, ctx: &async_graphql::Context<'_>, #page_args) -> async_graphql::Result<crate::table::Page<#ty>> {
                crate::table::list::<#module::Entity, #ty>(ctx, crate::table::Rows::Readable, filter, order_by, #page).await
            }
        });
    }
    if !query_fields.is_empty() {
        let name = format_ident!("{}Query", ty);
        out.extend(quote! {
            #[derive(Default)]
            pub struct #name;

            #[async_graphql::Object]
            impl #name {
                #(#query_fields)*
            }
        });
    }

    let mut mutation_fields = Vec::new();
    if args.create {
        let field = format_ident!("create_{}", singular.to_snake_case());
        let doc = format!("Creates a {words}.");
        mutation_fields.push(quote! {
            #[doc = #doc]
            async fn #field(&self, ctx: &async_graphql::Context<'_>, input: #module::CreateInput) -> async_graphql::Result<#ty> {
                Ok(crate::table::create::<#module::Entity, _>(ctx, input).await?.into())
            }
        });
    }
    if args.update {
        let field = format_ident!("update_{}", singular.to_snake_case());
        let doc = format!("Changes a {words}; `NOT_FOUND` unless the caller may change it.");
        mutation_fields.push(quote! {
            #[doc = #doc]
            async fn #field(&self, ctx: &async_graphql::Context<'_>, id: uuid::Uuid, input: #module::UpdateInput) -> async_graphql::Result<#ty> {
                Ok(crate::table::update::<#module::Entity, _>(ctx, id, input).await?.into())
            }
        });
    }
    if args.delete {
        let field = format_ident!("delete_{}", singular.to_snake_case());
        let doc = format!("Deletes a {words}; `NOT_FOUND` unless the caller may delete it.");
        mutation_fields.push(quote! {
            #[doc = #doc]
            async fn #field(&self, ctx: &async_graphql::Context<'_>, id: uuid::Uuid) -> async_graphql::Result<uuid::Uuid> {
                Ok(crate::table::delete::<#module::Entity>(ctx, id).await?)
            }
        });
    }
    if !mutation_fields.is_empty() {
        let name = format_ident!("{}Mutation", ty);
        out.extend(quote! {
            #[derive(Default)]
            pub struct #name;

            #[async_graphql::Object]
            impl #name {
                #(#mutation_fields)*
            }
        });
    }

    if args.me {
        let name = format_ident!("{}Mine", ty);
        let doc = format!("The caller's own {plural_words} (an agency's clients' rows are not among them).");
        out.extend(quote! {
            #[derive(Default)]
            pub struct #name;

            #[async_graphql::Object]
            impl #name {
                #[doc = #doc]
                #[graphql(complexity = "crate::table::page_complexity(first, last, child_complexity)")]
                async fn #list_ident(&self, ctx: &async_graphql::Context<'_>, #page_args) -> async_graphql::Result<crate::table::Page<#ty>> {
                    crate::table::list::<#module::Entity, #ty>(ctx, crate::table::Rows::Own, filter, order_by, #page).await
                }
            }
        });
    }

    if args.live {
        let name = format_ident!("{}Live", ty);
        let event = format_ident!("{}Event", ty);
        let field = format_ident!("{}_events", singular.to_snake_case());
        let doc = format!("Live changes of the {plural_words} the caller may read.");
        let event_doc = format!("One change of a {words}, as its subscriber may see it.");
        out.extend(quote! {
            #[doc = #event_doc]
            #[derive(async_graphql::SimpleObject)]
            pub struct #event {
                /// What happened to the row.
                pub kind: crate::events::ChangeKind,
                /// When the change was made.
                pub occurred_at: chrono::DateTime<chrono::Utc>,
                /// The change's place among its owner's events (from 1, without gaps): pass the
                /// last one seen as `after` to resume. Null for rows no user owns.
                pub position: ::std::option::Option<i64>,
                /// The row after the change (as it was, for a deletion).
                pub node: #ty,
            }

            #[derive(Default)]
            pub struct #name;

            #[async_graphql::Subscription]
            impl #name {
                #[doc = #doc]
                async fn #field(
                    &self,
                    ctx: &async_graphql::Context<'_>,
                    #[graphql(desc = "Only changed rows that match, as the list filter would decide.")]
                    filter: ::std::option::Option<#module::Filter>,
                    #[graphql(desc = "Only these kinds of change (all by default).")]
                    kinds: ::std::option::Option<::std::vec::Vec<crate::events::ChangeKind>>,
                    #[graphql(desc = "Only rows of this user (the service role sees every user's otherwise).")]
                    user_id: ::std::option::Option<uuid::Uuid>,
                    #[graphql(desc = "Resume after this position of one user's events (`userId`, or the caller's): the events since, still kept, come first. Kept for EVENT_RETENTION_HOURS; older is EVENTS_EXPIRED.")]
                    after: ::std::option::Option<i64>,
                ) -> async_graphql::Result<impl async_graphql::futures_util::Stream<Item = async_graphql::Result<#event>>> {
                    let changes = crate::table::live::watch::<#module::Entity>(ctx, filter, kinds, user_id, after)?;
                    Ok(async_graphql::futures_util::StreamExt::map(changes, |change| {
                        change.map(|c| #event { kind: c.kind, occurred_at: c.at, position: c.position, node: #ty::from(c.row) })
                    }))
                }
            }
        });
    }
    Ok(out)
}
