package dev.intakeauth.elasticsearch;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * A TLS server on a real loopback socket that plays Elasticsearch, or a man in the middle: it keeps
 * every byte a client sends once a handshake is done, and answers each request with one JSON body.
 */
final class RecordingTlsServer implements AutoCloseable {

  /** One accepted connection: whether the handshake completed, and what was read after it. */
  record Connection(boolean handshakeCompleted, String received) {}

  private final SSLServerSocket socket;
  private final String answer;
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final List<Future<Connection>> connections = new CopyOnWriteArrayList<>();

  RecordingTlsServer(SSLContext context, String jsonAnswer) throws IOException {
    this.socket = (SSLServerSocket) context.getServerSocketFactory().createServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.answer = jsonAnswer;
    threads.submit(this::acceptLoop);
  }

  String url() {
    return "https://127.0.0.1:" + socket.getLocalPort();
  }

  /** The connections accepted so far, each once its client is done with it. */
  List<Connection> connections() throws Exception {
    List<Connection> out = new java.util.ArrayList<>();
    for (Future<Connection> f : connections) {
      out.add(f.get(10, TimeUnit.SECONDS));
    }
    return out;
  }

  /** Every byte read after a handshake, on all connections, as ISO-8859-1 text. */
  String allReceived() throws Exception {
    StringBuilder all = new StringBuilder();
    for (Connection c : connections()) {
      all.append(c.received());
    }
    return all.toString();
  }

  private Void acceptLoop() {
    while (!socket.isClosed()) {
      try {
        SSLSocket client = (SSLSocket) socket.accept();
        connections.add(threads.submit(() -> serve(client)));
      } catch (IOException e) {
        return null;
      }
    }
    return null;
  }

  private Connection serve(SSLSocket client) {
    ByteArrayOutputStream received = new ByteArrayOutputStream();
    boolean handshake = false;
    try (client) {
      client.setSoTimeout(5_000);
      client.startHandshake();
      handshake = true;
      InputStream in = client.getInputStream();
      OutputStream out = client.getOutputStream();
      // One request per connection: the answer closes it.
      if (readHead(in, received) >= 0) {
        int length = contentLength(received.toString(StandardCharsets.ISO_8859_1));
        for (int i = 0; i < length; i++) {
          int b = in.read();
          if (b < 0) {
            break;
          }
          received.write(b);
        }
        byte[] body = answer.getBytes(StandardCharsets.UTF_8);
        out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
      }
      // Anything more the client sends before it closes is kept too.
      int b;
      while ((b = in.read()) >= 0) {
        received.write(b);
      }
    } catch (SocketException | javax.net.ssl.SSLException | java.net.SocketTimeoutException e) {
      // the client refused the handshake, or went away
    } catch (IOException e) {
      // the same, reported otherwise
    }
    return new Connection(handshake, received.toString(StandardCharsets.ISO_8859_1));
  }

  /** Reads up to the blank line after the headers; the position of its end, or -1 at end of stream. */
  private static int readHead(InputStream in, ByteArrayOutputStream received) throws IOException {
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        return -1;
      }
      received.write(b);
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return received.size();
  }

  private static int contentLength(String head) {
    for (String line : head.split("\r\n")) {
      if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        return Integer.parseInt(line.substring("content-length:".length()).strip());
      }
    }
    return 0;
  }

  @Override
  public void close() throws IOException {
    socket.close();
    threads.shutdownNow();
  }
}
