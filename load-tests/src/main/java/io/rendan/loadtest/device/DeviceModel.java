package io.rendan.loadtest.device;

import io.rendan.protocol.api.v1.CycleFinished;
import io.rendan.protocol.api.v1.CycleStarted;
import io.rendan.protocol.api.v1.FaultCleared;
import io.rendan.protocol.api.v1.FaultReported;
import io.rendan.protocol.api.v1.Heartbeat;
import io.rendan.protocol.api.v1.InventoryItem;
import io.rendan.protocol.api.v1.InventoryReported;
import io.rendan.protocol.api.v1.Reading;
import io.rendan.protocol.api.v1.StateChanged;
import com.google.protobuf.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/**
 * What a simulated appliance reports, one tick at a time: each tick yields one
 * reading, or two at a state change. The device numbers them and sends them.
 */
interface DeviceModel {
  /** The readings of one tick, without their seq. */
  void tick(Instant now, Consumer<Reading.Builder> emit);

  static DeviceModel of(DeviceFleet.Kind kind, Random random, int cycleTicks) {
    return kind == DeviceFleet.Kind.FRIDGE ? new Fridge(random) : new Washer(random, cycleTicks);
  }

  /**
   * A dorm washer: idle for a while, then a cycle (started, running, finished
   * with its energy, water and duration), sometimes a fault that a technician
   * fixes a little later; the cycle the fault interrupted is never finished.
   */
  final class Washer implements DeviceModel {
    private static final String[] PROGRAMS = {"cotton-40", "cotton-60", "synthetics-30", "quick-15", "wool-20"};
    private static final double FAULT_CHANCE_PER_CYCLE = 0.02;

    private enum Phase {
      IDLE,
      RUNNING,
      FAULTED
    }

    private final Random random;
    private final int cycleTicks;
    /** Cycle ids never repeat, also across restarts of the simulator. */
    private final String boot = Long.toString(System.currentTimeMillis(), 36);
    private Phase phase = Phase.IDLE;
    private int ticksLeft;
    private int cycles;
    private String cycleId;
    private boolean faultThisCycle;

    Washer(Random random, int cycleTicks) {
      this.random = random;
      this.cycleTicks = Math.max(4, cycleTicks);
      this.ticksLeft = random.nextInt(this.cycleTicks);
    }

    @Override
    public void tick(Instant now, Consumer<Reading.Builder> emit) {
      switch (phase) {
        case IDLE -> {
          if (ticksLeft-- > 0) {
            emit.accept(heartbeat());
            return;
          }
          cycleId = "c-" + boot + "-" + (++cycles);
          emit.accept(state("RUNNING"));
          emit.accept(
              Reading.newBuilder()
                  .setCycleStarted(
                      CycleStarted.newBuilder().setCycleId(cycleId).setProgram(PROGRAMS[random.nextInt(PROGRAMS.length)])));
          phase = Phase.RUNNING;
          ticksLeft = cycleTicks;
          faultThisCycle = random.nextDouble() < FAULT_CHANCE_PER_CYCLE;
        }
        case RUNNING -> {
          if (faultThisCycle && ticksLeft == cycleTicks / 2) {
            emit.accept(Reading.newBuilder().setFault(FaultReported.newBuilder().setCode("E21").setMessage("drain pump blocked")));
            emit.accept(state("FAULT"));
            phase = Phase.FAULTED;
            ticksLeft = cycleTicks;
            return;
          }
          if (ticksLeft-- > 0) {
            emit.accept(heartbeat());
            return;
          }
          emit.accept(
              Reading.newBuilder()
                  .setCycleFinished(
                      CycleFinished.newBuilder()
                          .setCycleId(cycleId)
                          .setEnergyWh(600 + random.nextInt(600))
                          .setWaterMl(38_000 + random.nextInt(20_000))
                          .setDurationSeconds(2_400 + random.nextInt(1_800))));
          emit.accept(state("IDLE"));
          idle();
        }
        case FAULTED -> {
          if (ticksLeft-- > 0) {
            emit.accept(heartbeat());
            return;
          }
          emit.accept(Reading.newBuilder().setFaultCleared(FaultCleared.newBuilder().setCode("E21")));
          emit.accept(state("IDLE"));
          idle();
        }
      }
    }

    private void idle() {
      phase = Phase.IDLE;
      ticksLeft = cycleTicks / 2 + random.nextInt(cycleTicks);
    }
  }

  /**
   * A shared fridge of the Internet of Food: reports what is inside every few
   * ticks as food is eaten and bought, each item with its best-before date, some
   * of them close enough to go stale.
   */
  final class Fridge implements DeviceModel {
    private static final String[] FOOD = {"Milk 1l", "Yoghurt", "Gouda", "Salad", "Eggs x6", "Butter", "Orange juice", "Tofu"};
    private static final int REPORT_EVERY = 10;

    private final Random random;
    private final List<InventoryItem> items = new ArrayList<>();
    private int ticks;
    private int bought;

    Fridge(Random random) {
      this.random = random;
    }

    @Override
    public void tick(Instant now, Consumer<Reading.Builder> emit) {
      if (ticks++ % REPORT_EVERY != 0) {
        emit.accept(heartbeat());
        return;
      }
      if (!items.isEmpty() && random.nextInt(3) == 0) {
        items.remove(random.nextInt(items.size())); // eaten
      }
      while (items.size() < 3 || (items.size() < 12 && random.nextInt(3) == 0)) {
        Instant bestBefore = now.plus(Duration.ofHours(6 + random.nextInt(24 * 10)));
        items.add(
            InventoryItem.newBuilder()
                .setItemId("item-" + (++bought))
                .setName(FOOD[random.nextInt(FOOD.length)])
                .setQuantity(1 + random.nextInt(3))
                .setBestBefore(Timestamp.newBuilder().setSeconds(bestBefore.getEpochSecond()))
                .build());
      }
      emit.accept(
          Reading.newBuilder().setInventory(InventoryReported.newBuilder().addAllItems(items)).setAt(ts(now)));
    }
  }

  private static Reading.Builder heartbeat() {
    return Reading.newBuilder().setHeartbeat(Heartbeat.getDefaultInstance());
  }

  private static Reading.Builder state(String state) {
    return Reading.newBuilder().setStateChanged(StateChanged.newBuilder().setState(state));
  }

  private static Timestamp ts(Instant at) {
    return Timestamp.newBuilder().setSeconds(at.getEpochSecond()).setNanos(at.getNano()).build();
  }
}
