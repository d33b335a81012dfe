//! Parsed documents, cached: clients send the same few documents over and over, so each is parsed
//! (and its aliases counted) once. Validation, depth and complexity still run on every request,
//! against the schema and the request's variables.
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ErrorExtensions as _, ServerResult, Variables};
use lru::LruCache;

/// Documents longer than this are parsed every time instead of filling the cache.
const MAX_CACHED_BYTES: usize = 16 * 1024;

/// The parse step of every request: from the cache, or parsed, alias-checked and cached.
pub struct DocumentCache {
    documents: Arc<Mutex<LruCache<String, ExecutableDocument>>>,
    max_aliases: usize,
}

impl DocumentCache {
    pub fn new(capacity: usize, max_aliases: usize) -> Self {
        let capacity = NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN);
        Self { documents: Arc::new(Mutex::new(LruCache::new(capacity))), max_aliases }
    }
}

impl ExtensionFactory for DocumentCache {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(CachedParse { documents: self.documents.clone(), max_aliases: self.max_aliases })
    }
}

struct CachedParse {
    documents: Arc<Mutex<LruCache<String, ExecutableDocument>>>,
    max_aliases: usize,
}

#[async_trait::async_trait]
impl Extension for CachedParse {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        if let Some(document) = self.documents.lock().ok().and_then(|mut d| d.get(query).cloned()) {
            return Ok(document);
        }
        let document = next.run(ctx, query, variables).await?;
        let aliases = aliases(&document);
        if aliases > self.max_aliases {
            let message = format!("the document uses {aliases} aliases; at most {} are allowed", self.max_aliases);
            let error = async_graphql::Error::new(message).extend_with(|_, e| e.set("code", "BAD_USER_INPUT"));
            return Err(error.into_server_error(Default::default()));
        }
        if query.len() <= MAX_CACHED_BYTES
            && let Ok(mut documents) = self.documents.lock()
        {
            documents.put(query.to_owned(), document.clone());
        }
        Ok(document)
    }
}

/// Every alias of the document's operations and fragments.
fn aliases(document: &ExecutableDocument) -> usize {
    let operations: usize = document.operations.iter().map(|(_, op)| count(&op.node.selection_set.node)).sum();
    let fragments: usize = document.fragments.values().map(|f| count(&f.node.selection_set.node)).sum();
    operations + fragments
}

fn count(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(field) => usize::from(field.node.alias.is_some()) + count(&field.node.selection_set.node),
            Selection::InlineFragment(fragment) => count(&fragment.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}
