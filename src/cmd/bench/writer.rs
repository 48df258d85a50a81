//! Records leave the async workers through a bounded channel to one thread that owns the store:
//! no SQLite call ever blocks a runtime worker, records are written in batched transactions,
//! and `--requests-out` is appended as they come, so memory stays flat however long the run.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::mpsc::{
    Receiver, RecvTimeoutError, SyncSender, TryRecvError, TrySendError, sync_channel,
};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::bench::RequestRecord;
use crate::error::{Error, Result};
use crate::store::HEARTBEAT_MS;
use crate::store::Store;

/// Most records in one transaction.
const BATCH: usize = 2048;
/// Longest a finished record waits before it is on disk.
const FLUSH_EVERY: Duration = Duration::from_millis(250);
/// How often the writer looks for more records while it fills a batch.
const DRAIN_EVERY: Duration = Duration::from_millis(10);
/// Records queued before the collector waits for the writer (back-pressure, not growth):
/// more than a batch's worth of [`DRAIN_EVERY`] at 100,000 records a second.
const QUEUE: usize = 4 * BATCH;

pub struct RecordWriter {
    tx: Option<SyncSender<RequestRecord>>,
    thread: Option<JoinHandle<(Store, Result<u64>)>>,
}

impl RecordWriter {
    /// Takes the store; [`RecordWriter::finish`] gives it back.
    /// `requests_out`: the `--requests-out` file, already created, and its path.
    pub fn start(store: Store, run_id: i64, requests_out: Option<(File, PathBuf)>) -> Result<Self> {
        let out = requests_out.map(|(f, p)| (BufWriter::with_capacity(64 * 1024, f), p));
        let (tx, rx) = sync_channel(QUEUE);
        let thread = std::thread::Builder::new()
            .name("omc-bench-writer".into())
            .spawn(move || write_loop(store, run_id, out, rx))
            .map_err(|e| Error::io("cannot start the record writer", e))?;
        Ok(RecordWriter {
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    /// Queue one record. Fails only when the writer has stopped on an error, which
    /// [`RecordWriter::finish`] then returns.
    pub fn send(&self, r: &RequestRecord) -> Result<()> {
        let tx = self.tx.as_ref().expect("send after finish");
        let stopped = || Error::Other("the benchmark's record writer stopped".into());
        match tx.try_send(r.clone()) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(r)) => tx.send(r).map_err(|_| stopped()),
            Err(TrySendError::Disconnected(_)) => Err(stopped()),
        }
    }

    /// Write what is queued, stop the thread, return the store and how many records were
    /// written (or the error that stopped the writer).
    pub fn finish(mut self) -> (Store, Result<u64>) {
        self.tx.take();
        match self.thread.take().expect("finish once").join() {
            Ok(r) => r,
            Err(_) => panic!("the record writer panicked"),
        }
    }
}

fn write_loop(
    mut store: Store,
    run_id: i64,
    mut out: Option<(BufWriter<File>, PathBuf)>,
    rx: Receiver<RequestRecord>,
) -> (Store, Result<u64>) {
    let mut batch: Vec<RequestRecord> = Vec::with_capacity(BATCH);
    let mut written = 0u64;
    let mut line = Vec::with_capacity(1024);
    // The sign of life that tells a running benchmark from a killed one (`bench history`):
    // given after every batch, and between records when they are slow to come.
    let heartbeat = Duration::from_millis(HEARTBEAT_MS as u64);
    let beat = |store: &mut Store| {
        // A missed beat only risks a live run looking dead later; it is no reason to stop.
        if let Err(e) = store.bench_heartbeat(run_id) {
            tracing::debug!(error = %e, "bench heartbeat");
        }
    };
    loop {
        let first = match rx.recv_timeout(heartbeat) {
            Ok(r) => r,
            Err(RecvTimeoutError::Timeout) => {
                beat(&mut store);
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => break,
        };
        batch.push(first);
        // The rest of the batch is collected by waking every few milliseconds, not once per
        // record: at thousands of records a second, a wake-up each is a real share of the CPU
        // the requests being timed need.
        let due = Instant::now() + FLUSH_EVERY;
        'fill: while batch.len() < BATCH {
            loop {
                match rx.try_recv() {
                    Ok(r) => {
                        batch.push(r);
                        if batch.len() == BATCH {
                            break 'fill;
                        }
                    }
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => break 'fill,
                }
            }
            let left = due.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            std::thread::sleep(left.min(DRAIN_EVERY));
        }
        if let Err(e) = store.insert_bench_requests(run_id, written, &batch) {
            return (store, Err(e));
        }
        if let Some((w, path)) = &mut out {
            let res = (|| {
                for r in &batch {
                    line.clear();
                    serde_json::to_writer(&mut line, r).map_err(std::io::Error::other)?;
                    line.push(b'\n');
                    w.write_all(&line)?;
                }
                w.flush()
            })();
            if let Err(e) = res {
                return (store, Err(Error::io_path("write", path, e)));
            }
        }
        written += batch.len() as u64;
        batch.clear();
        beat(&mut store);
    }
    (store, Ok(written))
}
