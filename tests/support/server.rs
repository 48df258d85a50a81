//! A fake provider on its own runtime, for tests that drive the omc binary as a process.
#![allow(dead_code)]

use super::fake_provider::{FakeProvider, Family};

pub struct Fake {
    rt: tokio::runtime::Runtime,
    server: Option<FakeProvider>,
}

impl Fake {
    /// Start a fake of `family` that accepts only `key`.
    pub fn start(family: Family, key: &str) -> Fake {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let server = rt.block_on(FakeProvider::start(family));
        server.expect_key(key);
        Fake {
            rt,
            server: Some(server),
        }
    }

    /// Start a fake of `family` that accepts any key.
    pub fn start_any(family: Family) -> Fake {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let server = rt.block_on(FakeProvider::start(family));
        Fake {
            rt,
            server: Some(server),
        }
    }

    pub fn server(&self) -> &FakeProvider {
        self.server.as_ref().unwrap()
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        // The server's tasks are aborted from inside its runtime.
        let _guard = self.rt.enter();
        self.server.take();
    }
}
