//! `#[derive(Table)]`: a model's columns turned into its inputs, filter and order.
use heck::{ToLowerCamelCase, ToUpperCamelCase};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{Attribute, Data, DeriveInput, Fields, GenericArgument, Ident, LitInt, LitStr, PathArguments, Type};

/// What the struct-level attribute says.
struct TableArgs {
    name: String,
    label: String,
    client: Option<String>,
    read_only: bool,
}

/// One column and what its attributes say.
struct Column {
    ident: Ident,
    /// The GraphQL name, used in error messages.
    gql: String,
    /// `T` of `Option<T>`, or the type itself.
    inner: Type,
    nullable: bool,
    docs: Vec<Attribute>,
    hidden: bool,
    owner: bool,
    read_only: bool,
    create_only: bool,
    default: bool,
    not_blank: bool,
    json_array: bool,
    json_object: bool,
    range: Option<(i64, i64)>,
    decimal: Option<(u32, u32)>,
    references: Option<String>,
    references_many: Option<String>,
    check: Option<syn::Path>,
    /// Written sealed by the server, never shown.
    sealed: bool,
}

impl Column {
    fn is_json(&self) -> bool {
        last_ident(&self.inner).is_some_and(|i| i == "Json" || i == "Value")
    }

    fn column_variant(&self) -> Ident {
        format_ident!("{}", self.ident.to_string().to_upper_camel_case())
    }

    fn writable(&self) -> bool {
        (!self.hidden || self.sealed) && !self.read_only && !self.owner
    }
}

fn last_ident(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// `Some(T)` for `Option<T>`.
fn option_inner(ty: &Type) -> Option<Type> {
    let Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    if seg.ident != "Option" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &seg.arguments else { return None };
    match args.args.first()? {
        GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    }
}

fn parse_table_args(attrs: &[Attribute]) -> syn::Result<TableArgs> {
    let mut args = TableArgs { name: String::new(), label: String::new(), client: None, read_only: false };
    for attr in attrs.iter().filter(|a| a.path().is_ident("table")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("name") {
                args.name = meta.value()?.parse::<LitStr>()?.value();
            } else if meta.path.is_ident("label") {
                args.label = meta.value()?.parse::<LitStr>()?.value();
            } else if meta.path.is_ident("client") {
                args.client = Some(meta.value()?.parse::<LitStr>()?.value());
            } else if meta.path.is_ident("read_only") {
                args.read_only = true;
            } else {
                return Err(meta.error("unknown table attribute"));
            }
            Ok(())
        })?;
    }
    if args.name.is_empty() || args.label.is_empty() {
        return Err(syn::Error::new(
            proc_macro2::Span::call_site(),
            "#[table(name = \"…\", label = \"…\")] is required",
        ));
    }
    Ok(args)
}

fn parse_int(input: syn::parse::ParseStream) -> syn::Result<i64> {
    let negative = input.peek(syn::Token![-]);
    if negative {
        input.parse::<syn::Token![-]>()?;
    }
    let value = input.parse::<LitInt>()?.base10_parse::<i64>()?;
    Ok(if negative { -value } else { value })
}

/// Precision and scale from `#[sea_orm(column_type = "Decimal(Some((p, s)))")]`.
fn decimal_of(attrs: &[Attribute]) -> Option<(u32, u32)> {
    for attr in attrs.iter().filter(|a| a.path().is_ident("sea_orm")) {
        let mut found = None;
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("column_type") {
                let text = meta.value()?.parse::<LitStr>()?.value();
                if let Some(rest) = text.strip_prefix("Decimal(Some((") {
                    let digits: Vec<u32> =
                        rest.trim_end_matches(')').split(',').filter_map(|d| d.trim().parse().ok()).collect();
                    if let [p, s] = digits[..] {
                        found = Some((p, s));
                    }
                }
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
        if found.is_some() {
            return found;
        }
    }
    None
}

fn is_graphql_skip(attrs: &[Attribute]) -> bool {
    attrs.iter().filter(|a| a.path().is_ident("graphql")).any(|a| {
        let mut skip = false;
        let _ = a.parse_nested_meta(|meta| {
            if meta.path.is_ident("skip") {
                skip = true;
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
        skip
    })
}

fn parse_column(field: &syn::Field) -> syn::Result<Column> {
    let ident = field.ident.clone().ok_or_else(|| syn::Error::new_spanned(field, "named fields only"))?;
    let (inner, nullable) = match option_inner(&field.ty) {
        Some(inner) => (inner, true),
        None => (field.ty.clone(), false),
    };
    let name = ident.to_string();
    let mut col = Column {
        gql: name.to_lower_camel_case(),
        inner,
        nullable,
        docs: field.attrs.iter().filter(|a| a.path().is_ident("doc")).cloned().collect(),
        hidden: is_graphql_skip(&field.attrs),
        owner: false,
        read_only: matches!(name.as_str(), "id" | "created_at" | "updated_at"),
        create_only: false,
        default: false,
        not_blank: false,
        json_array: false,
        json_object: false,
        range: None,
        decimal: decimal_of(&field.attrs),
        references: None,
        references_many: None,
        check: None,
        sealed: false,
        ident,
    };
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("table")) {
        attr.parse_nested_meta(|meta| {
            let p = &meta.path;
            if p.is_ident("owner") {
                col.owner = true;
            } else if p.is_ident("read_only") {
                col.read_only = true;
            } else if p.is_ident("create_only") {
                col.create_only = true;
            } else if p.is_ident("default") {
                col.default = true;
            } else if p.is_ident("not_blank") {
                col.not_blank = true;
            } else if p.is_ident("json_array") {
                col.json_array = true;
            } else if p.is_ident("json_object") {
                col.json_object = true;
            } else if p.is_ident("range") {
                let content;
                syn::parenthesized!(content in meta.input);
                let min = parse_int(&content)?;
                content.parse::<syn::Token![,]>()?;
                let max = parse_int(&content)?;
                col.range = Some((min, max));
            } else if p.is_ident("min") {
                let min = parse_int(meta.value()?)?;
                col.range = Some((min, i64::MAX));
            } else if p.is_ident("references") {
                col.references = Some(meta.value()?.parse::<LitStr>()?.value());
            } else if p.is_ident("references_many") {
                col.references_many = Some(meta.value()?.parse::<LitStr>()?.value());
            } else if p.is_ident("sealed") {
                col.sealed = true;
            } else if p.is_ident("check") {
                col.check = Some(meta.value()?.parse::<LitStr>()?.parse()?);
            } else {
                return Err(meta.error("unknown column attribute"));
            }
            Ok(())
        })?;
    }
    Ok(col)
}

/// The checks of one column on a value `v: &T`.
fn checks(col: &Column) -> TokenStream {
    let gql = &col.gql;
    let mut out = TokenStream::new();
    if col.not_blank {
        out.extend(quote! { crate::table::check::not_blank(#gql, v)?; });
    }
    if col.json_array {
        out.extend(quote! { crate::table::check::json_array(#gql, v)?; });
    }
    if col.json_object {
        out.extend(quote! { crate::table::check::json_object(#gql, v)?; });
    }
    if col.references_many.is_some() {
        out.extend(quote! { crate::table::check::json_ids(#gql, v)?; });
    }
    match (col.decimal, col.range) {
        (Some((p, s)), Some((min, max))) => out.extend(
            quote! { crate::table::check::decimal(#gql, *v, #p, #s, ::std::option::Option::Some((#min, #max)))?; },
        ),
        (Some((p, s)), None) => {
            out.extend(quote! { crate::table::check::decimal(#gql, *v, #p, #s, ::std::option::Option::None)?; })
        }
        (None, Some((min, max))) => out.extend(quote! { crate::table::check::range_i64(#gql, *v, #min, #max)?; }),
        (None, None) => {}
    }
    if let Some(path) = &col.check {
        out.extend(quote! { #path(#gql, v)?; });
    }
    out
}

/// The references of one column on a value `v: &T`, reported to `r`.
fn references(col: &Column) -> TokenStream {
    let gql = &col.gql;
    if let Some(table) = &col.references {
        let table = format_ident!("{}", table);
        quote! { r.reference::<super::#table::Entity>(#gql, *v); }
    } else if let Some(table) = &col.references_many {
        let table = format_ident!("{}", table);
        quote! {
            for id in crate::table::check::json_ids(#gql, v).unwrap_or_default() {
                r.reference::<super::#table::Entity>(#gql, id);
            }
        }
    } else {
        TokenStream::new()
    }
}

pub fn expand(input: DeriveInput) -> syn::Result<TokenStream> {
    let args = parse_table_args(&input.attrs)?;
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(&input, "#[derive(Table)] goes on a model struct"));
    };
    let Fields::Named(fields) = &data.fields else {
        return Err(syn::Error::new_spanned(&input, "#[derive(Table)] needs named fields"));
    };
    let cols = fields.named.iter().map(parse_column).collect::<syn::Result<Vec<_>>>()?;
    let name = &args.name;
    let label = &args.label;

    let owner = cols.iter().find(|c| c.owner);
    let owner_column = match owner {
        Some(c) => {
            let v = c.column_variant();
            quote! { ::std::option::Option::Some(Column::#v) }
        }
        None => quote! { ::std::option::Option::None },
    };
    let client_column = match &args.client {
        Some(c) => {
            let v = format_ident!("{}", c.to_upper_camel_case());
            quote! { ::std::option::Option::Some(Column::#v) }
        }
        None => quote! { ::std::option::Option::None },
    };

    // The list filter: every shown column.
    let shown: Vec<&Column> = cols.iter().filter(|c| !c.hidden).collect();
    let filter_name = format!("{name}Filter");
    let filter_doc = format!("Conditions on {label} rows; fields combine with AND.");
    let filter_fields = shown.iter().map(|c| {
        let (ident, inner) = (&c.ident, &c.inner);
        quote! { pub #ident: ::std::option::Option<<#inner as crate::table::Filterable>::Filter>, }
    });
    let filter_conditions = shown.iter().map(|c| {
        let (ident, gql, var) = (&c.ident, &c.gql, c.column_variant());
        quote! {
            if let ::std::option::Option::Some(f) = &self.#ident {
                all = all.add(crate::table::ColumnFilter::condition(f, #gql, Column::#var, backend)?);
            }
        }
    });
    let filter_tests = shown.iter().map(|c| {
        let (ident, var) = (&c.ident, c.column_variant());
        quote! {
            if let ::std::option::Option::Some(f) = &self.#ident
                && !crate::table::ColumnFilter::test(f, sea_orm::ModelTrait::get(row, Column::#var))
            {
                return false;
            }
        }
    });

    // The order input: every shown column but JSON ones.
    let ordered: Vec<&Column> = shown.iter().copied().filter(|c| !c.is_json()).collect();
    let order_name = format!("{name}Order");
    let order_field_name = format!("{name}OrderField");
    let order_doc = format!("One sort key of {label} rows; ties are broken by id.");
    let order_variants: Vec<Ident> = ordered.iter().map(|c| c.column_variant()).collect();

    // The positional decoder: each column in turn, a skipped nullable one as `None`.
    if cols.len() > 64 {
        return Err(syn::Error::new_spanned(&input.ident, "at most 64 columns"));
    }
    let decoded = cols.iter().enumerate().map(|(i, c)| {
        let ident = &c.ident;
        let read = quote! { sea_orm::TryGetable::try_get_by_index(row, next())? };
        match c.nullable {
            true => quote! { #ident: if skipped & (1u64 << #i) != 0 { ::std::option::Option::None } else { #read }, },
            false => quote! { #ident: #read, },
        }
    });

    let table_impl = quote! {
        impl crate::table::Table for Entity {
            const LABEL: &'static str = #label;
            type Filter = Filter;
            type Order = Order;
            fn id_column() -> Column {
                Column::Id
            }
            fn owner_column() -> ::std::option::Option<Column> {
                #owner_column
            }
            fn client_column() -> ::std::option::Option<Column> {
                #client_column
            }
            fn id_of(model: &Model) -> sea_orm::prelude::Uuid {
                model.id
            }
            fn decode(row: &sea_orm::QueryResult, first: usize, skipped: u64) -> ::std::result::Result<Model, sea_orm::DbErr> {
                let mut at = first;
                let mut next = || {
                    at += 1;
                    at - 1
                };
                ::std::result::Result::Ok(Model { #(#decoded)* })
            }
        }

        #[doc = #filter_doc]
        #[derive(async_graphql::InputObject, Default)]
        #[graphql(name = #filter_name)]
        pub struct Filter {
            #(#filter_fields)*
            /// Every one of these holds.
            pub and: ::std::option::Option<::std::vec::Vec<Filter>>,
            /// At least one of these holds.
            pub or: ::std::option::Option<::std::vec::Vec<Filter>>,
            /// This does not hold.
            pub not: ::std::option::Option<::std::boxed::Box<Filter>>,
        }

        impl crate::table::TableFilter for Filter {
            fn condition(&self, backend: sea_orm::DbBackend) -> ::std::result::Result<sea_orm::Condition, crate::table::Invalid> {
                let mut all = sea_orm::Condition::all();
                #(#filter_conditions)*
                crate::table::combine(all, &self.and, &self.or, &self.not, backend)
            }
        }

        impl crate::table::RowFilter<Model> for Filter {
            fn matches(&self, row: &Model) -> bool {
                #(#filter_tests)*
                self.and.as_ref().is_none_or(|fs| fs.iter().all(|f| f.matches(row)))
                    && self.or.as_ref().is_none_or(|fs| fs.is_empty() || fs.iter().any(|f| f.matches(row)))
                    && self.not.as_ref().is_none_or(|f| !f.matches(row))
            }
        }

        /// A column the rows can be ordered by.
        #[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
        #[graphql(name = #order_field_name)]
        pub enum OrderField {
            #(#order_variants,)*
        }

        #[doc = #order_doc]
        #[derive(async_graphql::InputObject)]
        #[graphql(name = #order_name)]
        pub struct Order {
            pub field: OrderField,
            #[graphql(default)]
            pub direction: crate::table::OrderDirection,
        }

        impl crate::table::TableOrder<Entity> for Order {
            fn key(&self) -> (Column, crate::table::OrderDirection) {
                let column = match self.field {
                    #(OrderField::#order_variants => Column::#order_variants,)*
                };
                (column, self.direction)
            }
        }
    };

    let inputs = if args.read_only { TokenStream::new() } else { inputs(&args, &cols, owner)? };
    Ok(quote! { #table_impl #inputs })
}

/// The create and update inputs and how they become a row.
fn inputs(args: &TableArgs, cols: &[Column], owner: Option<&Column>) -> syn::Result<TokenStream> {
    let name = &args.name;
    let label = &args.label;
    let create_name = format!("Create{name}Input");
    let update_name = format!("Update{name}Input");
    let create_doc = format!("A new {label}.");
    let update_doc = format!("Changes to a {label}: absent fields stay as they are; `null` clears a nullable field.");
    let writable: Vec<&Column> = cols.iter().filter(|c| c.writable()).collect();
    let updatable: Vec<&Column> = writable.iter().copied().filter(|c| !c.create_only).collect();

    // Create: required columns are required, the rest optional.
    let mut create_fields = Vec::new();
    let mut create_checks = Vec::new();
    let mut create_refs = Vec::new();
    let mut create_sets = Vec::new();
    for c in &writable {
        let (ident, inner, docs) = (&c.ident, &c.inner, &c.docs);
        let required = !c.nullable && !c.default;
        let (checks, refs) = (checks(c), references(c));
        if required {
            create_fields.push(quote! { #(#docs)* pub #ident: #inner, });
            create_checks.push(quote! { { let v = &self.#ident; #checks } });
            create_refs.push(quote! { { let v = &self.#ident; #refs } });
            create_sets.push(quote! { #ident: sea_orm::ActiveValue::Set(self.#ident), });
        } else {
            create_fields.push(quote! { #(#docs)* pub #ident: ::std::option::Option<#inner>, });
            create_checks.push(quote! { if let ::std::option::Option::Some(v) = &self.#ident { #checks } });
            create_refs.push(quote! { if let ::std::option::Option::Some(v) = &self.#ident { #refs } });
            create_sets.push(if c.nullable {
                quote! { #ident: self.#ident.map_or(sea_orm::ActiveValue::NotSet, |v| sea_orm::ActiveValue::Set(::std::option::Option::Some(v))), }
            } else {
                quote! { #ident: self.#ident.map_or(sea_orm::ActiveValue::NotSet, sea_orm::ActiveValue::Set), }
            });
        }
    }
    let (owner_field, owner_gql, owner_value, owner_set) = match owner {
        Some(o) => {
            let ident = &o.ident;
            let gql = &o.gql;
            let set = if o.nullable {
                quote! { #ident: sea_orm::ActiveValue::Set(owner), }
            } else {
                quote! {
                    #ident: sea_orm::ActiveValue::Set(owner.ok_or_else(|| {
                        crate::table::Invalid::new(#gql, "the service role must name the user")
                    })?),
                }
            };
            (
                quote! {
                    /// The user the row belongs to: only the service role names it; a user's rows are their own.
                    pub #ident: ::std::option::Option<sea_orm::prelude::Uuid>,
                },
                gql.clone(),
                quote! { self.#ident },
                set,
            )
        }
        None => (TokenStream::new(), String::new(), quote! { ::std::option::Option::None }, TokenStream::new()),
    };
    let id_set = if cols.iter().any(|c| c.ident == "id") {
        quote! { id: sea_orm::ActiveValue::Set(sea_orm::prelude::Uuid::new_v4()), }
    } else {
        TokenStream::new()
    };

    let create_sealed = writable.iter().filter(|c| c.sealed).map(|c| {
        let ident = &c.ident;
        quote! { if let ::std::option::Option::Some(v) = &mut self.#ident { out.push(v); } }
    });
    let update_sealed = updatable.iter().filter(|c| c.sealed).map(|c| {
        let ident = &c.ident;
        quote! { if let async_graphql::MaybeUndefined::Value(v) = &mut self.#ident { out.push(v); } }
    });

    // Update: every updatable column optional; nullable ones can be cleared.
    let mut update_fields = Vec::new();
    let mut update_checks = Vec::new();
    let mut update_refs = Vec::new();
    let mut update_sets = Vec::new();
    for c in &updatable {
        let (ident, inner, docs) = (&c.ident, &c.inner, &c.docs);
        let (checks, refs) = (checks(c), references(c));
        if c.nullable {
            update_fields.push(quote! { #(#docs)* pub #ident: async_graphql::MaybeUndefined<#inner>, });
            update_checks.push(quote! { if let ::std::option::Option::Some(v) = self.#ident.value() { #checks } });
            update_refs.push(quote! { if let ::std::option::Option::Some(v) = self.#ident.value() { #refs } });
            update_sets.push(quote! { crate::table::patch(&mut row.#ident, self.#ident); });
        } else {
            update_fields.push(quote! { #(#docs)* pub #ident: ::std::option::Option<#inner>, });
            update_checks.push(quote! { if let ::std::option::Option::Some(v) = &self.#ident { #checks } });
            update_refs.push(quote! { if let ::std::option::Option::Some(v) = &self.#ident { #refs } });
            update_sets.push(quote! { crate::table::set(&mut row.#ident, self.#ident); });
        }
    }

    Ok(quote! {
        #[doc = #create_doc]
        #[derive(async_graphql::InputObject)]
        #[graphql(name = #create_name)]
        pub struct CreateInput {
            #owner_field
            #(#create_fields)*
        }

        impl crate::table::Creates<Entity> for CreateInput {
            const OWNER_FIELD: &'static str = #owner_gql;
            fn owner(&self) -> ::std::option::Option<sea_orm::prelude::Uuid> {
                #owner_value
            }
            #[allow(unused_variables)]
            fn validate(&self) -> ::std::result::Result<(), crate::table::Invalid> {
                #(#create_checks)*
                Ok(())
            }
            #[allow(unused_variables)]
            fn references<R: crate::table::Referee>(&self, r: &mut R) {
                #(#create_refs)*
            }
            fn sealed(&mut self) -> ::std::vec::Vec<&mut ::std::string::String> {
                #[allow(unused_mut)]
                let mut out = ::std::vec::Vec::new();
                #(#create_sealed)*
                out
            }
            fn into_row(self, owner: ::std::option::Option<sea_orm::prelude::Uuid>) -> ::std::result::Result<ActiveModel, crate::table::Invalid> {
                let _ = owner;
                #[allow(clippy::needless_update)]
                Ok(ActiveModel {
                    #id_set
                    #owner_set
                    #(#create_sets)*
                    ..::std::default::Default::default()
                })
            }
        }

        #[doc = #update_doc]
        #[derive(async_graphql::InputObject)]
        #[graphql(name = #update_name)]
        pub struct UpdateInput {
            #(#update_fields)*
        }

        impl crate::table::Updates<Entity> for UpdateInput {
            #[allow(unused_variables)]
            fn validate(&self) -> ::std::result::Result<(), crate::table::Invalid> {
                #(#update_checks)*
                Ok(())
            }
            #[allow(unused_variables)]
            fn references<R: crate::table::Referee>(&self, r: &mut R) {
                #(#update_refs)*
            }
            fn sealed(&mut self) -> ::std::vec::Vec<&mut ::std::string::String> {
                #[allow(unused_mut)]
                let mut out = ::std::vec::Vec::new();
                #(#update_sealed)*
                out
            }
            #[allow(unused_variables)]
            fn apply(self, row: &mut ActiveModel) {
                #(#update_sets)*
            }
        }
    })
}
