//! An ordered parallel map: items are worked on by a pool of threads and the results come out in
//! input order, with a bounded number of items in flight.
//!
//! Written with std's scoped threads and channels rather than rayon: the batch subcommands need
//! streaming (read, work and write at once, memory bounded whatever the input's length) and
//! order, which rayon's parallel iterators give only over collected input.

use std::collections::BTreeMap;
use std::sync::{mpsc, Mutex};

/// The number of worker threads to use by default: the machine's parallelism.
pub(crate) fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Runs `work` over `items` on `jobs` threads and hands each result to `emit` in input order.
///
/// At most `2 × jobs` items are in flight. The first error, from the item source, a work call
/// or `emit`, ends the run and is returned; the workers stop after the items they hold.
pub(crate) fn ordered_map<I, O, E>(
    jobs: usize,
    items: impl Iterator<Item = Result<I, E>>,
    work: impl Fn(I) -> Result<O, E> + Sync,
    mut emit: impl FnMut(O) -> Result<(), E>,
) -> Result<(), E>
where
    I: Send,
    O: Send,
    E: Send,
{
    if jobs <= 1 {
        for item in items {
            emit(work(item?)?)?;
        }
        return Ok(());
    }
    let (work_tx, work_rx) = mpsc::sync_channel::<(usize, I)>(jobs);
    let work_rx = Mutex::new(work_rx);
    let (done_tx, done_rx) = mpsc::channel::<(usize, Result<O, E>)>();
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            let (done_tx, work_rx, work) = (done_tx.clone(), &work_rx, &work);
            scope.spawn(move || loop {
                // The lock is held while waiting, so idle workers queue on it: one item each.
                let next = match work_rx.lock() {
                    Ok(rx) => rx.recv(),
                    Err(_) => break,
                };
                let Ok((seq, item)) = next else { break };
                if done_tx.send((seq, work(item))).is_err() {
                    break;
                }
            });
        }
        drop(done_tx);
        let mut order = Reorder {
            pending: BTreeMap::new(),
            next: 0,
        };
        // The queue's sender and the results' receiver move into this closure, so that leaving
        // it (at the end or on an error) closes both and the workers finish.
        let (work_tx, done_rx) = (work_tx, done_rx);
        let mut sent = 0;
        for item in items {
            let item = item?;
            while sent - order.next >= 2 * jobs {
                let Ok(done) = done_rx.recv() else {
                    // Every worker is gone: one panicked, and the scope re-raises it.
                    return Ok(());
                };
                order.take(done, &mut emit)?;
            }
            if work_tx.send((sent, item)).is_err() {
                return Ok(());
            }
            sent += 1;
            while let Ok(done) = done_rx.try_recv() {
                order.take(done, &mut emit)?;
            }
        }
        drop(work_tx);
        while order.next < sent {
            let Ok(done) = done_rx.recv() else {
                return Ok(());
            };
            order.take(done, &mut emit)?;
        }
        Ok(())
    })
}

/// Results that arrived before their predecessors, and the sequence number to emit next.
struct Reorder<O, E> {
    pending: BTreeMap<usize, Result<O, E>>,
    next: usize,
}

impl<O, E> Reorder<O, E> {
    /// Takes one result and emits every result that is now next in order.
    fn take(
        &mut self,
        (seq, result): (usize, Result<O, E>),
        emit: &mut impl FnMut(O) -> Result<(), E>,
    ) -> Result<(), E> {
        self.pending.insert(seq, result);
        while let Some(result) = self.pending.remove(&self.next) {
            self.next += 1;
            emit(result?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Work that takes longer for some items, so that results arrive out of order.
    fn uneven(i: u64) -> Result<u64, String> {
        if i % 7 == 0 {
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        Ok(i * i)
    }

    #[test]
    fn results_come_out_in_input_order() {
        for jobs in [1, 2, 4] {
            let mut got = Vec::new();
            let items = (0..200u64).map(Ok);
            let r = ordered_map(jobs, items, uneven, |o| {
                got.push(o);
                Ok(())
            });
            assert_eq!(r, Ok(()));
            assert_eq!(got, (0..200u64).map(|i| i * i).collect::<Vec<_>>());
        }
    }

    #[test]
    fn the_first_error_ends_the_run() {
        let items = (0..1000u64).map(|i| if i == 500 { Err(i) } else { Ok(i) });
        let mut emitted = 0;
        let r = ordered_map(3, items, Ok, |_| {
            emitted += 1;
            Ok(())
        });
        assert_eq!(r, Err(500));
        assert!(emitted <= 500);

        let work = |i: u64| if i == 10 { Err(i) } else { Ok(i) };
        let mut seen = Vec::new();
        let r = ordered_map(3, (0..1000u64).map(Ok), work, |o| {
            seen.push(o);
            Ok(())
        });
        assert_eq!(r, Err(10));
        assert_eq!(seen, (0..10).collect::<Vec<_>>());

        let r = ordered_map(2, (0..1000u64).map(Ok), Ok, |o| {
            if o == 3 {
                Err(o)
            } else {
                Ok(())
            }
        });
        assert_eq!(r, Err(3));
    }
}
