package io.rendan.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.apache.pekko.dispatch.Futures;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.journal.japi.AsyncWriteJournal;
import scala.concurrent.Future;
import scala.concurrent.Promise;

/**
 * A journal plugin for Cluster Sharding's own stores, for tests: in memory, and
 * never answering a shard's read of its remembered entities (the coordinator's
 * store reads as usual). A shard started on it waits out
 * {@code waiting-for-state-timeout}, gives up and is started again, as shards of a
 * node under a journal too slow for that timeout did.
 */
public final class ShardStoreJournal extends AsyncWriteJournal {
  private final Map<String, List<PersistentRepr>> events = new ConcurrentHashMap<>();

  private static boolean shardStore(String persistenceId) {
    return persistenceId.contains("Shard") && !persistenceId.contains("Coordinator");
  }

  @Override
  public Future<Iterable<Optional<Exception>>> doAsyncWriteMessages(Iterable<AtomicWrite> messages) {
    List<Optional<Exception>> results = new ArrayList<>();
    for (AtomicWrite write : messages) {
      scala.collection.Iterator<PersistentRepr> it = write.payload().iterator();
      while (it.hasNext()) {
        PersistentRepr repr = it.next();
        events.computeIfAbsent(repr.persistenceId(), id -> new ArrayList<>()).add(repr);
      }
      results.add(Optional.empty());
    }
    return Futures.successful(results);
  }

  @Override
  public Future<Void> doAsyncDeleteMessagesTo(String persistenceId, long toSequenceNr) {
    return Futures.successful(null);
  }

  @Override
  public Future<Void> doAsyncReplayMessages(
      String persistenceId, long fromSequenceNr, long toSequenceNr, long max, Consumer<PersistentRepr> replay) {
    if (shardStore(persistenceId)) {
      return Promise.<Void>apply().future(); // never
    }
    long n = 0;
    for (PersistentRepr repr : events.getOrDefault(persistenceId, List.of())) {
      if (repr.sequenceNr() >= fromSequenceNr && repr.sequenceNr() <= toSequenceNr && n++ < max) {
        replay.accept(repr);
      }
    }
    return Futures.successful(null);
  }

  @Override
  public Future<Long> doAsyncReadHighestSequenceNr(String persistenceId, long fromSequenceNr) {
    if (shardStore(persistenceId)) {
      return Promise.<Long>apply().future(); // never
    }
    List<PersistentRepr> list = events.getOrDefault(persistenceId, List.of());
    return Futures.successful(list.isEmpty() ? 0L : list.get(list.size() - 1).sequenceNr());
  }
}
