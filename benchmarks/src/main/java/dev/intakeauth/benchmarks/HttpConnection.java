package dev.intakeauth.benchmarks;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * One keep-alive HTTP/1.1 connection that sends the same prepared request again and again and reads
 * each response whole: the lightest client there is, so that a load run measures the server. Reads
 * {@code Content-Length} and chunked bodies; not thread-safe (one per client thread).
 */
final class HttpConnection implements Closeable {

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private final byte[] request;
  private final byte[] line = new byte[8192];
  private boolean closed;

  /**
   * Connects.
   *
   * @param host the server's address
   * @param port its port
   * @param request the whole request, headers and body
   * @throws IOException if it cannot connect
   */
  HttpConnection(String host, int port, byte[] request) throws IOException {
    this.socket = new Socket();
    socket.setTcpNoDelay(true);
    socket.connect(new InetSocketAddress(host, port), 5_000);
    socket.setSoTimeout(30_000);
    this.in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
    this.out = new BufferedOutputStream(socket.getOutputStream(), 16 * 1024);
    this.request = request;
  }

  /**
   * A request with a body.
   *
   * @param method the method
   * @param path the path
   * @param authorization the {@code Authorization} value, or null for none
   * @param contentType the body's type
   * @param body the body
   * @return the request's bytes
   */
  static byte[] request(String method, String path, String authorization, String contentType, byte[] body) {
    StringBuilder head = new StringBuilder()
        .append(method).append(' ').append(path).append(" HTTP/1.1\r\n")
        .append("Host: 127.0.0.1\r\n")
        .append("User-Agent: intake-auth-load\r\n");
    if (authorization != null) {
      head.append("Authorization: ").append(authorization).append("\r\n");
    }
    head.append("Content-Type: ").append(contentType).append("\r\n")
        .append("Content-Length: ").append(body.length).append("\r\n\r\n");
    byte[] h = head.toString().getBytes(StandardCharsets.ISO_8859_1);
    byte[] all = new byte[h.length + body.length];
    System.arraycopy(h, 0, all, 0, h.length);
    System.arraycopy(body, 0, all, h.length, body.length);
    return all;
  }

  /**
   * Sends the request and reads the response. After a response with {@code Connection: close}
   * the connection is closed, and the next call fails.
   *
   * @return the response's status code
   * @throws IOException if the connection fails or was closed
   */
  int exchange() throws IOException {
    if (closed) {
      throw new IOException("the server closed the connection");
    }
    out.write(request);
    out.flush();
    int status = statusOf(readLine());
    long length = -1;
    boolean chunked = false;
    boolean close = false;
    for (int n = readLineLength(); n > 0; n = readLineLength()) {
      String header = new String(line, 0, n, StandardCharsets.ISO_8859_1);
      int colon = header.indexOf(':');
      if (colon < 0) {
        continue;
      }
      String name = header.substring(0, colon).trim();
      String value = header.substring(colon + 1).trim();
      if (name.equalsIgnoreCase("Content-Length")) {
        length = Long.parseLong(value);
      } else if (name.equalsIgnoreCase("Transfer-Encoding")) {
        chunked = value.equalsIgnoreCase("chunked");
      } else if (name.equalsIgnoreCase("Connection")) {
        close = value.equalsIgnoreCase("close");
      }
    }
    if (chunked) {
      for (long size = chunkSize(); size > 0; size = chunkSize()) {
        skip(size);
        readLineLength();
      }
      while (readLineLength() > 0) {
        // trailers
      }
    } else if (length > 0) {
      skip(length);
    }
    if (close) {
      closed = true;
      socket.close();
    }
    return status;
  }

  private long chunkSize() throws IOException {
    String s = readLine();
    int semicolon = s.indexOf(';');
    return Long.parseLong((semicolon < 0 ? s : s.substring(0, semicolon)).trim(), 16);
  }

  private void skip(long n) throws IOException {
    while (n > 0) {
      long skipped = in.skip(n);
      if (skipped <= 0) {
        if (in.read() < 0) {
          throw new EOFException("connection closed in a body");
        }
        skipped = 1;
      }
      n -= skipped;
    }
  }

  private static int statusOf(String statusLine) throws IOException {
    if (!statusLine.startsWith("HTTP/1.1 ") || statusLine.length() < 12) {
      throw new IOException("not an HTTP/1.1 status line: " + statusLine);
    }
    return Integer.parseInt(statusLine.substring(9, 12));
  }

  private String readLine() throws IOException {
    return new String(line, 0, readLineLength(), StandardCharsets.ISO_8859_1);
  }

  /** Reads one CRLF-terminated line into {@link #line}; its length without the CRLF. */
  private int readLineLength() throws IOException {
    int n = 0;
    while (true) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("connection closed");
      }
      if (b == '\n') {
        return n > 0 && line[n - 1] == '\r' ? n - 1 : n;
      }
      if (n == line.length) {
        throw new IOException("response line longer than " + line.length + " bytes");
      }
      line[n++] = (byte) b;
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
