//! DynamoDB calls counted by operation, by an interceptor on a store's
//! client: what the cost figures and the one-transaction tests count.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use adapters::DynamoStore;
use aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept};

use crate::World;

#[derive(Debug, Clone, Default)]
pub struct Calls(Arc<Mutex<BTreeMap<String, usize>>>);

impl Intercept for Calls {
    fn name(&self) -> &'static str {
        "CountCalls"
    }

    fn read_before_execution(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        use aws_sdk_dynamodb::operation as op;
        let input = context.input();
        let is = |matches: bool, name: &'static str| matches.then_some(name);
        let name = is(
            input.downcast_ref::<op::get_item::GetItemInput>().is_some(),
            "GetItem",
        )
        .or_else(|| {
            is(
                input.downcast_ref::<op::put_item::PutItemInput>().is_some(),
                "PutItem",
            )
        })
        .or_else(|| {
            is(
                input
                    .downcast_ref::<op::update_item::UpdateItemInput>()
                    .is_some(),
                "UpdateItem",
            )
        })
        .or_else(|| {
            is(
                input
                    .downcast_ref::<op::delete_item::DeleteItemInput>()
                    .is_some(),
                "DeleteItem",
            )
        })
        .or_else(|| {
            is(
                input
                    .downcast_ref::<op::transact_write_items::TransactWriteItemsInput>()
                    .is_some(),
                "TransactWriteItems",
            )
        })
        .or_else(|| {
            is(
                input
                    .downcast_ref::<op::batch_get_item::BatchGetItemInput>()
                    .is_some(),
                "BatchGetItem",
            )
        })
        .or_else(|| {
            is(
                input.downcast_ref::<op::query::QueryInput>().is_some(),
                "Query",
            )
        })
        .or_else(|| {
            is(
                input.downcast_ref::<op::scan::ScanInput>().is_some(),
                "Scan",
            )
        })
        .unwrap_or("other");
        if let Ok(mut calls) = self.0.lock() {
            *calls.entry(name.to_owned()).or_default() += 1;
        }
        Ok(())
    }
}

impl Calls {
    /// The counts so far, and a fresh start.
    pub fn take(&self) -> BTreeMap<String, usize> {
        self.0
            .lock()
            .map(|mut c| std::mem::take(&mut *c))
            .unwrap_or_default()
    }

    /// The world's table, through a client that counts into `self`.
    pub fn store(&self, w: &World) -> DynamoStore {
        let client = aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(&w.aws)
                .interceptor(self.clone())
                .build(),
        );
        DynamoStore::new(client, &w.config.domain_table)
    }
}
