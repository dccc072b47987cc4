package io.rendan.appliance;

import com.google.protobuf.util.JsonFormat;
import io.rendan.protocol.api.v1.LineError;
import io.rendan.protocol.api.v1.Reading;
import io.rendan.protocol.api.v1.TelemetryResponse;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A device's side of {@code POST /v1/appliances/{id}/telemetry} over a raw
 * socket: it writes the request body in chunks while a reader thread takes the
 * response apart as it streams in, so a test sees acks mid-stream and can cut
 * the connection at any byte, as a device losing power would.
 */
final class TelemetryClient implements AutoCloseable {
  private static final TelemetryResponse END = TelemetryResponse.getDefaultInstance();

  private final Socket socket;
  private final OutputStream out;
  private final boolean protobuf;
  private final BlockingQueue<TelemetryResponse> frames = new LinkedBlockingQueue<>();
  final CompletableFuture<Integer> status = new CompletableFuture<>();
  final CompletableFuture<Map<String, String>> headers = new CompletableFuture<>();
  /** The body of a response that is not a stream of frames (a refusal). */
  final CompletableFuture<String> plainBody = new CompletableFuture<>();
  final List<LineError> lineErrors = new CopyOnWriteArrayList<>();
  private volatile boolean ended;

  private TelemetryClient(Socket socket, boolean protobuf) throws IOException {
    this.socket = socket;
    this.out = socket.getOutputStream();
    this.protobuf = protobuf;
  }

  static TelemetryClient open(int port, String applianceId, String authorization, String contentType) throws IOException {
    return open(port, applianceId, authorization, contentType, null);
  }

  /**
   * With {@code firstChunk}, the head and a first chunk of the body go out in one
   * write, as a device that starts streaming at once: a server that refuses the
   * request has then read them already, and no later write can find the
   * connection closed.
   */
  static TelemetryClient open(int port, String applianceId, String authorization, String contentType, byte[] firstChunk)
      throws IOException {
    return openAt(port, "/v1/appliances/" + applianceId + "/telemetry", authorization, contentType, firstChunk);
  }

  /** A stream to another path than an appliance's (the benchmark's sink). */
  static TelemetryClient openAt(int port, String path, String authorization, String contentType, byte[] firstChunk)
      throws IOException {
    Socket socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(20_000);
    socket.setTcpNoDelay(true);
    TelemetryClient client = new TelemetryClient(socket, contentType.contains("protobuf"));
    StringBuilder head = new StringBuilder();
    head.append("POST ").append(path).append(" HTTP/1.1\r\n");
    head.append("Host: 127.0.0.1:").append(port).append("\r\n");
    if (authorization != null) {
      head.append("Authorization: ").append(authorization).append("\r\n");
    }
    head.append("Content-Type: ").append(contentType).append("\r\n");
    head.append("Transfer-Encoding: chunked\r\n\r\n");
    java.io.ByteArrayOutputStream first = new java.io.ByteArrayOutputStream();
    first.write(head.toString().getBytes(StandardCharsets.US_ASCII));
    if (firstChunk != null) {
      first.write((Integer.toHexString(firstChunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
      first.write(firstChunk);
      first.write("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    client.out.write(first.toByteArray());
    client.out.flush();
    Thread reader = new Thread(client::read, "telemetry-client " + path);
    reader.setDaemon(true);
    reader.start();
    return client;
  }

  static TelemetryClient ndjson(int port, String applianceId, String secret) throws IOException {
    return open(port, applianceId, "Device " + secret, "application/x-ndjson");
  }

  /** Sends the bytes as one chunk of the request body. */
  void sendChunk(byte[] bytes) throws IOException {
    out.write((Integer.toHexString(bytes.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
    out.write(bytes);
    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  void send(String text) throws IOException {
    sendChunk(text.getBytes(StandardCharsets.UTF_8));
  }

  /** Readings as JSON lines, in one chunk. */
  void sendJson(List<Reading> readings) throws IOException {
    StringBuilder lines = new StringBuilder();
    for (Reading r : readings) {
      lines.append(JsonFormat.printer().omittingInsignificantWhitespace().print(r)).append('\n');
    }
    send(lines.toString());
  }

  /** Readings as length-delimited protobuf, in one chunk. */
  void sendProtobuf(List<Reading> readings) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (Reading r : readings) {
      r.writeDelimitedTo(bytes);
    }
    sendChunk(bytes.toByteArray());
  }

  /** Ends the request body properly. */
  void finish() throws IOException {
    out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  /** Drops the connection at once (a reset), as a device losing its network does. */
  void cut() throws IOException {
    socket.setSoLinger(true, 0);
    socket.close();
  }

  /** The next frame, or null when the response has ended; fails after 15 s without one. */
  TelemetryResponse next() throws InterruptedException {
    TelemetryResponse frame = frames.poll(15, TimeUnit.SECONDS);
    if (frame == null) {
      throw new AssertionError("no frame from the server within 15 s");
    }
    if (frame == END) {
      frames.add(END);
      return null;
    }
    if (frame.hasLineError()) {
      lineErrors.add(frame.getLineError());
    }
    return frame;
  }

  /** Reads frames until an ack of at least {@code seq}; returns that ack's seq. */
  long awaitAck(long seq) throws InterruptedException {
    while (true) {
      TelemetryResponse frame = next();
      if (frame == null) {
        throw new AssertionError("the stream ended before an ack of " + seq);
      }
      if (frame.hasError()) {
        throw new AssertionError("the stream ended with " + frame.getError());
      }
      if (frame.hasAck() && frame.getAck().getSeq() >= seq) {
        return frame.getAck().getSeq();
      }
    }
  }

  /** Every frame until the response ends. */
  List<TelemetryResponse> rest() throws InterruptedException {
    List<TelemetryResponse> all = new ArrayList<>();
    for (TelemetryResponse f = next(); f != null; f = next()) {
      all.add(f);
    }
    return all;
  }

  boolean ended() {
    return ended;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  // ---- the response ---------------------------------------------------------------------------

  private void read() {
    try {
      InputStream in = new BufferedInputStream(socket.getInputStream());
      String statusLine = line(in);
      if (statusLine == null) {
        status.complete(-1);
        return;
      }
      status.complete(Integer.parseInt(statusLine.split(" ")[1]));
      Map<String, String> hs = new HashMap<>();
      for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
        int colon = h.indexOf(':');
        hs.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
      }
      headers.complete(hs);
      InputStream body =
          "chunked".equalsIgnoreCase(hs.get("transfer-encoding"))
              ? new Dechunked(in)
              : new Limited(in, Long.parseLong(hs.getOrDefault("content-length", "0")));
      if (status.join() != 200) {
        plainBody.complete(new String(body.readAllBytes(), StandardCharsets.UTF_8));
        return;
      }
      if (protobuf) {
        for (TelemetryResponse f = TelemetryResponse.parseDelimitedFrom(body); f != null; f = TelemetryResponse.parseDelimitedFrom(body)) {
          frames.add(f);
        }
      } else {
        for (String l = line(body); l != null; l = line(body)) {
          TelemetryResponse.Builder b = TelemetryResponse.newBuilder();
          JsonFormat.parser().merge(l, b);
          frames.add(b.build());
        }
      }
    } catch (IOException e) {
      status.complete(-1);
      headers.complete(Map.of());
      plainBody.complete("");
    } finally {
      ended = true;
      frames.add(END);
    }
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != -1) {
      if (b == '\n') {
        String s = line.toString(StandardCharsets.UTF_8);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
      }
      line.write(b);
    }
    return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
  }

  /** The body of a chunked response. */
  private static final class Dechunked extends InputStream {
    private final InputStream in;
    private long left;
    private boolean done;

    Dechunked(InputStream in) {
      this.in = in;
    }

    @Override
    public int read() throws IOException {
      if (done) {
        return -1;
      }
      if (left == 0) {
        String size = line(in);
        if (size == null) {
          done = true;
          return -1;
        }
        if (size.isEmpty()) {
          size = line(in);
        }
        left = Long.parseLong(size.split(";")[0].trim(), 16);
        if (left == 0) {
          done = true;
          return -1;
        }
      }
      int b = in.read();
      if (b == -1) {
        done = true;
        return -1;
      }
      if (--left == 0) {
        line(in); // the CRLF after the chunk
      }
      return b;
    }
  }

  private static final class Limited extends InputStream {
    private final InputStream in;
    private long left;

    Limited(InputStream in, long length) {
      this.in = in;
      this.left = length;
    }

    @Override
    public int read() throws IOException {
      if (left == 0) {
        return -1;
      }
      left--;
      return in.read();
    }
  }
}
