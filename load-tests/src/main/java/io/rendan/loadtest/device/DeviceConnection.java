package io.rendan.loadtest.device;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.rendan.protocol.api.v1.TelemetryResponse;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * One device's {@code POST /v1/appliances/{id}/telemetry} on a non-blocking
 * socket, driven by an {@link EventLoop}: it writes the request body as HTTP/1.1
 * chunks and takes the chunked response apart into {@link TelemetryResponse}
 * frames while the body is still being written, as a device does.
 */
final class DeviceConnection {
  /** What the device hears from its connection; always called on the event loop's thread. */
  interface Listener {
    void onFrame(TelemetryResponse frame);

    /** The server answered with an error instead of a stream. */
    void onRefused(int status, String body);

    /** The connection is gone, whatever the reason; called once. */
    void onClosed(String why);
  }

  private static final int READ_BUFFER = 64 * 1024;
  private static final int MAX_HEAD_BYTES = 16 * 1024;
  private static final JsonFormat.Parser JSON = JsonFormat.parser().ignoringUnknownFields();

  private enum Part {
    STATUS,
    HEADERS,
    CHUNK_SIZE,
    CHUNK_DATA,
    CHUNK_END,
    FIXED,
    DONE
  }

  private final SocketChannel channel;
  private final SelectionKey key;
  private final Listener listener;
  private final boolean protobuf;
  private final ArrayDeque<ByteBuffer> out = new ArrayDeque<>();
  private long queuedBytes;
  private final ByteBuffer readBuffer = ByteBuffer.allocate(READ_BUFFER);

  private Part reading = Part.STATUS;
  private byte[] line = new byte[256];
  private int lineLength;
  private int status;
  private boolean chunked;
  private long left;
  private byte[] body = new byte[1024];
  private int bodyLength;
  private boolean closed;

  private DeviceConnection(SocketChannel channel, Selector selector, Listener listener, boolean protobuf) throws IOException {
    this.channel = channel;
    this.listener = listener;
    this.protobuf = protobuf;
    this.key = channel.register(selector, SelectionKey.OP_CONNECT, this);
  }

  static DeviceConnection open(
      Selector selector, InetSocketAddress server, InetSocketAddress local, String path, String authorization, boolean protobuf, Listener listener)
      throws IOException {
    SocketChannel channel = SocketChannel.open();
    channel.configureBlocking(false);
    if (local != null) {
      try {
        channel.bind(local);
      } catch (IOException e) {
        channel.close(); // no ephemeral port left on that address
        throw e;
      }
    }
    channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
    DeviceConnection c = new DeviceConnection(channel, selector, listener, protobuf);
    String head =
        "POST " + path + " HTTP/1.1\r\n"
            + "Host: " + server.getHostString() + ":" + server.getPort() + "\r\n"
            + "Authorization: " + authorization + "\r\n"
            + "Content-Type: " + (protobuf ? "application/x-protobuf" : "application/x-ndjson") + "\r\n"
            + "Accept: " + (protobuf ? "application/x-protobuf" : "application/x-ndjson") + "\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n";
    c.queue(ByteBuffer.wrap(head.getBytes(StandardCharsets.US_ASCII)));
    try {
      if (channel.connect(server)) {
        c.connected();
      }
    } catch (IOException e) {
      c.close("connect failed: " + e.getMessage());
    }
    return c;
  }

  /** Whether more may be written now: the socket keeps up. */
  boolean canWrite(long maxQueuedBytes) {
    return !closed && queuedBytes < maxQueuedBytes;
  }

  /** Sends {@code length} bytes of {@code data} as one chunk of the request body. */
  void sendChunk(byte[] data, int length) {
    if (closed || length == 0) {
      return;
    }
    byte[] size = (Integer.toHexString(length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
    ByteBuffer chunk = ByteBuffer.allocate(size.length + length + 2);
    chunk.put(size).put(data, 0, length).put((byte) '\r').put((byte) '\n').flip();
    queue(chunk);
    flush();
  }

  /** Drops the connection at once, with a reset: a device losing its network. */
  void cut() {
    if (closed) {
      return;
    }
    try {
      channel.setOption(StandardSocketOptions.SO_LINGER, 0);
    } catch (IOException e) {
      // closing anyway
    }
    close("cut");
  }

  void close(String why) {
    if (closed) {
      return;
    }
    closed = true;
    key.cancel();
    try {
      channel.close();
    } catch (IOException e) {
      // already gone
    }
    listener.onClosed(why);
  }

  boolean isClosed() {
    return closed;
  }

  /** Called by the event loop when the key is ready. */
  void handle(SelectionKey ready) {
    try {
      if (ready.isValid() && ready.isConnectable()) {
        if (channel.finishConnect()) {
          connected();
        }
      }
      if (ready.isValid() && ready.isReadable()) {
        read();
      }
      if (ready.isValid() && ready.isWritable()) {
        flush();
      }
    } catch (IOException | RuntimeException e) {
      close(e.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }

  private void connected() {
    key.interestOps(SelectionKey.OP_READ);
    flush();
  }

  private void queue(ByteBuffer buffer) {
    out.add(buffer);
    queuedBytes += buffer.remaining();
  }

  private void flush() {
    if (closed || !channel.isConnected()) {
      return;
    }
    try {
      while (!out.isEmpty()) {
        ByteBuffer head = out.peek();
        int written = channel.write(head);
        queuedBytes -= written;
        if (head.hasRemaining()) {
          key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
          return;
        }
        out.poll();
      }
      key.interestOps(SelectionKey.OP_READ);
    } catch (IOException e) {
      close("write failed: " + e.getMessage());
    }
  }

  // ---- the response ---------------------------------------------------------------------------

  private void read() throws IOException {
    while (!closed) {
      readBuffer.clear();
      int n = channel.read(readBuffer);
      if (n < 0) {
        close(reading == Part.DONE ? "the response ended" : "the server closed the connection");
        return;
      }
      if (n == 0) {
        return;
      }
      byte[] bytes = readBuffer.array();
      for (int i = 0; i < n && !closed; ) {
        i = consume(bytes, i, n);
      }
    }
  }

  /** Consumes bytes from {@code i}; answers where it stopped. */
  private int consume(byte[] bytes, int i, int n) throws IOException {
    switch (reading) {
      case STATUS, HEADERS, CHUNK_SIZE, CHUNK_END -> {
        byte b = bytes[i++];
        if (b == '\n') {
          String text = new String(line, 0, lineLength, StandardCharsets.US_ASCII).trim();
          lineLength = 0;
          onLine(text);
        } else {
          if (lineLength == MAX_HEAD_BYTES) {
            throw new IOException("response head too long");
          }
          if (lineLength == line.length) {
            line = Arrays.copyOf(line, line.length * 2);
          }
          line[lineLength++] = b;
        }
        return i;
      }
      case CHUNK_DATA, FIXED -> {
        int take = (int) Math.min(left, n - i);
        bodyBytes(bytes, i, take);
        left -= take;
        if (left == 0) {
          if (reading == Part.FIXED) {
            endOfResponse();
          } else {
            reading = Part.CHUNK_END;
          }
        }
        return i + take;
      }
      default -> {
        return n; // after the end: ignore
      }
    }
  }

  private void onLine(String text) throws IOException {
    switch (reading) {
      case STATUS -> {
        String[] parts = text.split(" ");
        if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
          throw new IOException("not an HTTP response: " + text);
        }
        status = Integer.parseInt(parts[1]);
        reading = Part.HEADERS;
      }
      case HEADERS -> {
        if (!text.isEmpty()) {
          int colon = text.indexOf(':');
          String name = colon < 0 ? text : text.substring(0, colon).trim();
          String value = colon < 0 ? "" : text.substring(colon + 1).trim();
          if (name.equalsIgnoreCase("Transfer-Encoding") && value.equalsIgnoreCase("chunked")) {
            chunked = true;
          } else if (name.equalsIgnoreCase("Content-Length")) {
            left = Long.parseLong(value);
          }
          return;
        }
        if (chunked) {
          reading = Part.CHUNK_SIZE;
        } else if (left > 0) {
          reading = Part.FIXED;
        } else {
          endOfResponse();
        }
      }
      case CHUNK_SIZE -> {
        int semicolon = text.indexOf(';');
        left = Long.parseLong(semicolon < 0 ? text : text.substring(0, semicolon), 16);
        if (left == 0) {
          endOfResponse();
        } else {
          reading = Part.CHUNK_DATA;
        }
      }
      case CHUNK_END -> reading = Part.CHUNK_SIZE;
      default -> {}
    }
  }

  /** Body bytes: frames of a stream, or the error of a refusal. */
  private void bodyBytes(byte[] bytes, int from, int length) throws IOException {
    if (bodyLength + length > body.length) {
      body = Arrays.copyOf(body, Math.max(body.length * 2, bodyLength + length));
    }
    System.arraycopy(bytes, from, body, bodyLength, length);
    bodyLength += length;
    if (status == 200) {
      frames();
    }
  }

  private void frames() throws InvalidProtocolBufferException {
    int start = 0;
    if (protobuf) {
      while (true) {
        long length = 0;
        int shift = 0;
        int p = start;
        boolean complete = false;
        while (p < bodyLength && p - start < 5) {
          byte b = body[p++];
          length |= (long) (b & 0x7F) << shift;
          shift += 7;
          if ((b & 0x80) == 0) {
            complete = true;
            break;
          }
        }
        if (!complete || bodyLength - p < length) {
          break;
        }
        listener.onFrame(TelemetryResponse.parseFrom(Arrays.copyOfRange(body, p, p + (int) length)));
        start = p + (int) length;
      }
    } else {
      for (int i = 0; i < bodyLength; i++) {
        if (body[i] == '\n') {
          String json = new String(body, start, i - start, StandardCharsets.UTF_8).trim();
          start = i + 1;
          if (!json.isEmpty()) {
            TelemetryResponse.Builder frame = TelemetryResponse.newBuilder();
            JSON.merge(json, frame);
            listener.onFrame(frame.build());
          }
        }
      }
    }
    System.arraycopy(body, start, body, 0, bodyLength - start);
    bodyLength -= start;
  }

  private void endOfResponse() {
    reading = Part.DONE;
    if (status != 200) {
      listener.onRefused(status, new String(body, 0, bodyLength, StandardCharsets.UTF_8));
    }
    close(status == 200 ? "the response ended" : "refused with " + status);
  }
}
