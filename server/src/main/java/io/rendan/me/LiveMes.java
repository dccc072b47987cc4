package io.rendan.me;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The MEs whose entity is in memory on this node, each as it last stored itself.
 *
 * <p>Every bid checks its bidder (operator, capabilities, rating, memberships);
 * asking the ME's entity for that cost a sharding hop and an ask per bid. The
 * entity itself keeps its entry here, so the entry is never behind what the
 * entity would answer:
 * <ul>
 *   <li>it enters on recovery (the state recovered from the journal), and is
 *       replaced after every stored event, before the change is acknowledged
 *       (so a client that saw its change acknowledged never bids on the old
 *       state on this node);
 *   <li>it leaves when the entity stops (passivation, hand-off to another node,
 *       shutdown). Cluster Sharding runs an entity on one node at a time and
 *       starts it elsewhere only after it stopped here, so at most one node has
 *       an entry and it is the entity's own state; a crashed node takes its map
 *       with it.
 * </ul>
 * An ME that is not in memory here (another node has it, or nobody asked for it
 * yet) is asked as before; the answer wakes it, which then fills its entry only
 * if it lives on this node.
 */
public final class LiveMes {
  private final ConcurrentHashMap<String, MeEntity.State> live = new ConcurrentHashMap<>();

  /** The ME as its entity on this node last stored it; empty when its entity is not here. */
  public Optional<MeEntity.State> get(String meId) {
    return Optional.ofNullable(live.get(meId));
  }

  void stored(MeEntity.State me) {
    if (me.isRegistered()) {
      live.put(me.meId(), me);
    }
  }

  void stopped(String meId) {
    live.remove(meId);
  }

  /** How many entries (for metrics and tests). */
  public int size() {
    return live.size();
  }
}
