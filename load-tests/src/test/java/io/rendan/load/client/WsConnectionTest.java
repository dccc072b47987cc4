package io.rendan.load.client;

import static org.junit.jupiter.api.Assertions.*;

import com.google.protobuf.util.JsonFormat;
import io.rendan.protocol.api.v1.ClientFrame;
import io.rendan.protocol.api.v1.Push;
import io.rendan.protocol.api.v1.Response;
import io.rendan.protocol.api.v1.ServerFrame;
import io.rendan.protocol.api.v1.Subscribe;
import io.rendan.protocol.api.v1.Subscribed;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The load generator's WebSocket client against a small RFC 6455 server on a
 * real port, which answers a Subscribe according to its topic: with pushes
 * first, fragmented, after a ping, in reverse order, or by closing.
 */
@Tag("unit")
class WsConnectionTest {
  private ServerSocket server;
  private URI uri;
  private WsClient client;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final ConcurrentLinkedQueue<String> pongs = new ConcurrentLinkedQueue<>();
  private final AtomicInteger upgrades = new AtomicInteger();

  @BeforeEach
  void start() throws IOException {
    server = new ServerSocket(0, 1000, InetAddress.getLoopbackAddress());
    uri = URI.create("ws://127.0.0.1:" + server.getLocalPort() + "/v1/ws");
    client = new WsClient(2);
    Thread acceptor =
        new Thread(
            () -> {
              while (!server.isClosed()) {
                try {
                  Socket s = server.accept();
                  sockets.add(s);
                  Thread t = new Thread(() -> serve(s), "ws-test-conn");
                  t.setDaemon(true);
                  t.start();
                } catch (IOException e) {
                  return;
                }
              }
            },
            "ws-test-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  @AfterEach
  void stop() throws IOException {
    client.close();
    server.close();
    for (Socket s : sockets) {
      s.close();
    }
  }

  // ---- the server

  private void serve(Socket s) {
    try (s) {
      DataInputStream in = new DataInputStream(s.getInputStream());
      OutputStream out = s.getOutputStream();
      String head = readHead(in);
      String key = null;
      boolean authorized = false;
      for (String line : head.split("\r\n")) {
        String lower = line.toLowerCase(Locale.ROOT);
        if (lower.startsWith("sec-websocket-key:")) {
          key = line.substring(line.indexOf(':') + 1).trim();
        }
        authorized |= line.equals("Authorization: Bearer tok");
      }
      if (!authorized) {
        out.write("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        return;
      }
      String accept =
          Base64.getEncoder()
              .encodeToString(MessageDigest.getInstance("SHA-1").digest((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(StandardCharsets.ISO_8859_1)));
      out.write(
          ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\n\r\n")
              .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      upgrades.incrementAndGet();
      List<ClientFrame> held = new ArrayList<>();
      while (true) {
        int b0 = in.readUnsignedByte();
        int b1 = in.readUnsignedByte();
        assertTrue((b1 & 0x80) != 0, "client frames are masked");
        long len = b1 & 0x7f;
        if (len == 126) {
          len = in.readUnsignedShort();
        } else if (len == 127) {
          len = in.readLong();
        }
        byte[] mask = in.readNBytes(4);
        byte[] payload = in.readNBytes((int) len);
        for (int i = 0; i < payload.length; i++) {
          payload[i] ^= mask[i & 3];
        }
        int opcode = b0 & 0x0f;
        if (opcode == 0x8) {
          write(out, true, 0x8, payload);
          return;
        }
        if (opcode == 0xA) {
          pongs.add(new String(payload, StandardCharsets.UTF_8));
          continue;
        }
        if (opcode == 0x9) {
          continue; // a stalled client's probe
        }
        boolean text = opcode == 0x1;
        ClientFrame frame;
        if (text) {
          ClientFrame.Builder b = ClientFrame.newBuilder();
          JsonFormat.parser().merge(new String(payload, StandardCharsets.UTF_8), b);
          frame = b.build();
        } else {
          frame = ClientFrame.parseFrom(payload);
        }
        if (!answer(frame, held, out, text)) {
          return;
        }
        out.flush();
      }
    } catch (Exception e) {
      // the client went away, or the test is over
    }
  }

  /** Answers false to drop the connection. */
  private boolean answer(ClientFrame frame, List<ClientFrame> held, OutputStream out, boolean text) throws IOException {
    String topic = frame.getSubscribe().getTopic();
    if (topic.startsWith("pushes-")) {
      int n = Integer.parseInt(topic.substring(7));
      for (int i = 1; i <= n; i++) {
        send(out, text, ServerFrame.newBuilder().setPush(Push.newBuilder().setTopic(topic).setSeq(i)).build(), false);
      }
    } else if (topic.equals("big")) {
      send(out, text, ServerFrame.newBuilder().setPush(Push.newBuilder().setTopic(topic).setEvent("x".repeat(200_000))).build(), false);
    } else if (topic.equals("ping")) {
      write(out, true, 0x9, "are you there".getBytes(StandardCharsets.UTF_8));
    } else if (topic.equals("hold")) {
      held.add(frame);
      return true;
    } else if (topic.equals("close")) {
      write(out, true, 0x8, new byte[] {0x03, (byte) 0xE9, 'b', 'y', 'e'});
      return true;
    } else if (topic.equals("close-normal")) {
      write(out, true, 0x8, new byte[] {0x03, (byte) 0xE8});
      return true;
    } else if (topic.equals("drop")) {
      return false;
    }
    send(out, text, subscribed(frame), topic.equals("fragmented"));
    for (ClientFrame h : held) {
      send(out, text, subscribed(h), false);
    }
    held.clear();
    return true;
  }

  private static ServerFrame subscribed(ClientFrame f) {
    return ServerFrame.newBuilder()
        .setResponse(Response.newBuilder().setRequestId(f.getRequestId()).setSubscribed(Subscribed.newBuilder().setTopic(f.getSubscribe().getTopic())))
        .build();
  }

  private static void send(OutputStream out, boolean text, ServerFrame frame, boolean fragmented) throws IOException {
    byte[] payload = text ? JsonFormat.printer().print(frame).getBytes(StandardCharsets.UTF_8) : frame.toByteArray();
    int opcode = text ? 0x1 : 0x2;
    if (fragmented) {
      int half = payload.length / 2;
      write(out, false, opcode, java.util.Arrays.copyOfRange(payload, 0, half));
      write(out, true, 0x9, "in between".getBytes(StandardCharsets.UTF_8)); // control frames may come between fragments
      write(out, true, 0x0, java.util.Arrays.copyOfRange(payload, half, payload.length));
    } else {
      write(out, true, opcode, payload);
    }
  }

  private static void write(OutputStream out, boolean fin, int opcode, byte[] payload) throws IOException {
    ByteArrayOutputStream f = new ByteArrayOutputStream();
    f.write((fin ? 0x80 : 0) | opcode);
    if (payload.length < 126) {
      f.write(payload.length);
    } else if (payload.length < 65536) {
      f.write(126);
      f.write(payload.length >>> 8);
      f.write(payload.length);
    } else {
      f.write(127);
      for (int i = 7; i >= 0; i--) {
        f.write((int) ((long) payload.length >>> (8 * i)));
      }
    }
    f.write(payload);
    out.write(f.toByteArray());
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int c = in.read();
      if (c < 0) {
        throw new IOException("closed");
      }
      head.write(c);
      matched = (c == '\r' && (matched == 0 || matched == 2)) || (c == '\n' && (matched == 1 || matched == 3)) ? matched + 1 : 0;
    }
    return head.toString(StandardCharsets.ISO_8859_1);
  }

  // ---- the tests

  private static ClientFrame.Builder subscribe(String topic) {
    return ClientFrame.newBuilder().setSubscribe(Subscribe.newBuilder().setTopic(topic));
  }

  private WsConnection open(boolean binary, List<Push> pushes) throws Exception {
    return WsConnection.open(client, uri, "tok", binary, pushes::add).get(10, TimeUnit.SECONDS);
  }

  @Test
  void answersComeBackToTheirRequestsAndPushesToTheCallback() throws Exception {
    for (boolean binary : new boolean[] {true, false}) {
      List<Push> pushes = new CopyOnWriteArrayList<>();
      try (WsConnection c = open(binary, pushes)) {
        CompletableFuture<Response> held = c.request(subscribe("hold"));
        Response r = c.request(subscribe("pushes-3")).get(10, TimeUnit.SECONDS);
        assertEquals("pushes-3", r.getSubscribed().getTopic());
        assertEquals("hold", held.get(10, TimeUnit.SECONDS).getSubscribed().getTopic(), "answered after the later request");
        assertEquals(List.of(1L, 2L, 3L), pushes.stream().map(Push::getSeq).toList(), "pushes before the answer, in order");
        assertEquals(0, c.pending());
      }
    }
  }

  @Test
  void readsFragmentedAndLargeMessagesAndAnswersPings() throws Exception {
    List<Push> pushes = new CopyOnWriteArrayList<>();
    try (WsConnection c = open(true, pushes)) {
      assertEquals("fragmented", c.request(subscribe("fragmented")).get(10, TimeUnit.SECONDS).getSubscribed().getTopic());
      assertEquals("big", c.request(subscribe("big")).get(10, TimeUnit.SECONDS).getSubscribed().getTopic());
      assertEquals(200_000, pushes.get(0).getEvent().length());
      assertEquals("ping", c.request(subscribe("ping")).get(10, TimeUnit.SECONDS).getSubscribed().getTopic());
      // the server reads in order: once a later request is answered, the pongs sent before it are in
      assertEquals("after", c.request(subscribe("after")).get(10, TimeUnit.SECONDS).getSubscribed().getTopic());
      assertTrue(pongs.contains("in between") && pongs.contains("are you there"), "pongs: " + pongs);
    }
  }

  @Test
  void aCloseFromTheServerFailsWhatIsPendingAndClosesTheConnection() throws Exception {
    try (WsConnection c = open(true, new ArrayList<>())) {
      CompletableFuture<Response> held = c.request(subscribe("hold"));
      c.request(subscribe("close"));
      WsConnection.Unanswered u = unanswered(held);
      assertEquals("client:ws-closed", u.code());
      assertTrue(u.getMessage().contains("1001"), u.getMessage());
      assertTrue(c.isClosed());
      assertEquals(WsConnection.DRAINED, unanswered(c.request(subscribe("late"))).code(), "never sent");
    }
  }

  @Test
  void aNormalCloseFromTheServerMeansWhatIsPendingWasNotRead() throws Exception {
    // a node that stops answers every request it read, then closes with 1000 (http/ConnectionDrain)
    try (WsConnection c = open(true, new ArrayList<>())) {
      CompletableFuture<Response> held = c.request(subscribe("hold"));
      c.request(subscribe("close-normal"));
      WsConnection.Unanswered u = unanswered(held);
      assertEquals(WsConnection.DRAINED, u.code(), u.getMessage());
      assertTrue(c.isClosed());
    }
  }

  @Test
  void aConnectionDroppedWithoutACloseFrameFailsWhatIsPending() throws Exception {
    try (WsConnection c = open(false, new ArrayList<>())) {
      CompletableFuture<Response> held = c.request(subscribe("hold"));
      c.request(subscribe("drop"));
      assertEquals("client:ws-closed", unanswered(held).code());
      assertTrue(c.isClosed());
    }
  }

  @Test
  void closingAbandonsWhatIsPending() throws Exception {
    WsConnection c = open(true, new ArrayList<>());
    CompletableFuture<Response> held = c.request(subscribe("hold"));
    c.close();
    assertEquals("client:unanswered", unanswered(held).code());
    assertTrue(c.isClosed());
  }

  @Test
  void aRefusedUpgradeFailsTheOpen() {
    ExecutionException e =
        assertThrows(ExecutionException.class, () -> WsConnection.open(client, uri, "wrong", true, p -> {}).get(10, TimeUnit.SECONDS));
    assertTrue(e.getCause().getMessage().contains("401"), e.getCause().getMessage());
  }

  @Test
  void aStalledClientTakesNothingMoreAndNoticesWhenTheServerDropsIt() throws Exception {
    List<Push> pushes = new CopyOnWriteArrayList<>();
    try (WsConnection c = open(true, pushes)) {
      assertTrue(c.request(subscribe("pushes-2")).get(10, TimeUnit.SECONDS).hasSubscribed());
      c.stall();
      CompletableFuture<Response> unread = c.request(subscribe("pushes-5"));
      // the server answers, and then drops the connection; the stalled client reads none of it
      CompletableFuture<Response> dropped = c.request(subscribe("drop"));
      assertEquals("client:ws-closed", unanswered(dropped).code(), "noticed by its probe");
      assertEquals("client:ws-closed", unanswered(unread).code());
      assertTrue(c.isClosed());
      assertEquals(2, pushes.size(), "no push read after the stall");
    }
  }

  @Test
  void hundredsOfConnectionsShareTwoThreads() throws Exception {
    int n = 300;
    List<CompletableFuture<WsConnection>> opening = new ArrayList<>();
    AtomicInteger pushed = new AtomicInteger();
    for (int i = 0; i < n; i++) {
      opening.add(WsConnection.open(client, uri, "tok", true, p -> pushed.incrementAndGet()));
    }
    List<WsConnection> open = new ArrayList<>();
    for (CompletableFuture<WsConnection> f : opening) {
      open.add(f.get(30, TimeUnit.SECONDS));
    }
    List<CompletableFuture<Response>> answers = new ArrayList<>();
    for (WsConnection c : open) {
      answers.add(c.request(subscribe("pushes-2")));
    }
    for (CompletableFuture<Response> a : answers) {
      assertTrue(a.get(30, TimeUnit.SECONDS).hasSubscribed());
    }
    assertEquals(2 * n, pushed.get());
    long clientThreads = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("ws-client-")).count();
    assertTrue(clientThreads <= 2, "client threads: " + clientThreads);
    open.forEach(WsConnection::close);
  }

  private static WsConnection.Unanswered unanswered(CompletableFuture<Response> f) throws Exception {
    ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
    return assertInstanceOf(WsConnection.Unanswered.class, e.getCause());
  }
}
