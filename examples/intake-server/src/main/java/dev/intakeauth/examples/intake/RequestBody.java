package dev.intakeauth.examples.intake;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Collections;
import java.util.Locale;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import java.util.zip.ZipException;
import org.eclipse.jetty.http.GZIPContentDecoder;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.RetainableByteBuffer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a request body without holding a container thread while the client is slow (servlet
 * non-blocking I/O), decodes {@code gzip} and {@code deflate} as the bytes arrive, and hands the
 * decoded bytes to a {@link Sink}. Caps the bytes on the wire and the decoded bytes; a body past a
 * cap is a 413, a corrupt or truncated compressed body a 400, a body not read within the read
 * timeout or below the minimum data rate a 408; all with a JSON {@code {"error": "..."}} body.
 */
final class RequestBody implements ReadListener, AsyncListener {

  private static final Logger LOG = LoggerFactory.getLogger(RequestBody.class);
  private static final int BUFFER = 8192;

  /** Where decoded bytes go. Runs on container threads, one call at a time. */
  interface Sink {
    /**
     * Takes decoded bytes.
     *
     * @return false when the sink has answered the request and wants no more
     */
    boolean accept(byte[] bytes, int offset, int length) throws IOException;

    /** The whole body has been read and decoded; the sink answers the request. */
    void end() throws IOException;

    /** The sink gets no more bytes: it lets go of what it holds. Called once, whatever the outcome. */
    default void close() {}
  }

  /**
   * Limits for one body.
   *
   * @param maxBytes the most bytes read, and the most decoded
   * @param minDataRate bytes per second, averaged from the first byte, checked as bytes arrive
   * @param readTimeout the longest the whole body may take
   */
  record Limits(long maxBytes, long minDataRate, Duration readTimeout) {}

  /** A request the body reader answers itself. */
  static final class Refused extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int status;
    /** Whether the connection is closed after the answer, rather than the rest of the body dropped. */
    final boolean close;

    Refused(int status, String message) {
      this(status, message, false);
    }

    Refused(int status, String message, boolean close) {
      super(message, null, false, false);
      this.status = status;
      this.close = close;
    }
  }

  enum Encoding { IDENTITY, GZIP, DEFLATE }

  private final HttpServletRequest request;
  private final HttpServletResponse response;
  private final AsyncContext async;
  private final ServletInputStream in;
  private final Decoder decoder;
  private final Limits limits;
  private final Sink sink;
  private final AtomicLong decodedTotal;
  private final byte[] buffer = new byte[BUFFER];
  private long raw;
  private long firstByteNanos;
  private long decoded;
  private boolean eof;
  /** Answered before the end of the body: the rest is read and dropped. */
  private boolean answered;
  private boolean done;
  private boolean sinkClosed;

  private RequestBody(HttpServletRequest request, HttpServletResponse response, Encoding encoding, Limits limits, Sink sink, AtomicLong decodedTotal)
      throws IOException {
    this.request = request;
    this.response = response;
    this.limits = limits;
    this.sink = sink;
    this.decodedTotal = decodedTotal;
    this.decoder = switch (encoding) {
      case IDENTITY -> new Identity();
      case GZIP -> new Gzip();
      case DEFLATE -> new Deflate();
    };
    this.async = request.isAsyncStarted() ? request.getAsyncContext() : request.startAsync();
    async.setTimeout(limits.readTimeout().toMillis());
    async.addListener(this);
    this.in = request.getInputStream();
  }

  /**
   * The body's encoding from {@code Content-Encoding}.
   *
   * @return the encoding, or null when it is not one this server reads (the caller answers 400)
   */
  static @Nullable Encoding encoding(HttpServletRequest request) {
    var values = Collections.list(request.getHeaders("Content-Encoding"));
    if (values.isEmpty()) {
      return Encoding.IDENTITY;
    }
    if (values.size() > 1) {
      return null;
    }
    return switch (values.get(0).strip().toLowerCase(Locale.ROOT)) {
      case "", "identity" -> Encoding.IDENTITY;
      case "gzip", "x-gzip" -> Encoding.GZIP;
      case "deflate" -> Encoding.DEFLATE;
      default -> null;
    };
  }

  /**
   * Starts reading the body; the sink is called as decoded bytes arrive, on container threads, and
   * the request completes once the sink or this reader has answered.
   *
   * @param decodedTotal counts every decoded byte, across requests
   */
  static void read(HttpServletRequest request, HttpServletResponse response, Encoding encoding, Limits limits, Sink sink, AtomicLong decodedTotal)
      throws IOException {
    long declared = request.getContentLengthLong();
    if (declared > limits.maxBytes()) {
      // Refused before a byte of it is read.
      answer(response, 413, tooLarge(limits.maxBytes()), true);
      return;
    }
    RequestBody body = new RequestBody(request, response, encoding, limits, sink, decodedTotal);
    body.in.setReadListener(body);
  }

  /**
   * Cuts a body arriving slower than the minimum rate, averaged from its first byte, as Jetty's
   * per-request check did (now deprecated in Jetty, and its replacement handler counts the bytes of
   * all requests together). A client sending nothing at all meets the idle timeout instead.
   */
  private void arrived(int bytes) {
    long now = System.nanoTime();
    if (raw == 0) {
      firstByteNanos = now;
    }
    raw += bytes;
    long elapsedMillis = (now - firstByteNanos) / 1_000_000;
    if (limits.minDataRate() > 0 && raw < limits.minDataRate() * elapsedMillis / 1000) {
      throw new Refused(408, "request timeout: the body arrived slower than " + limits.minDataRate() + " bytes per second", true);
    }
  }

  static String tooLarge(long max) {
    return "request body too large: more than " + max + " bytes";
  }

  @Override
  public synchronized void onDataAvailable() {
    try {
      while (!done && in.isReady()) {
        int n = in.read(buffer);
        if (n < 0) {
          return;
        }
        arrived(n);
        if (raw > limits.maxBytes()) {
          if (answered) {
            finish();
            return;
          }
          fail(413, tooLarge(limits.maxBytes()), true);
          return;
        }
        if (!answered && !decoder.feed(buffer, 0, n)) {
          answered();
        }
      }
    } catch (Refused r) {
      fail(r.status, r.getMessage(), r.close);
    } catch (IOException | RuntimeException e) {
      failed(e);
    }
  }

  @Override
  public synchronized void onAllDataRead() {
    if (done) {
      return;
    }
    eof = true;
    if (answered) {
      finish();
      return;
    }
    try {
      decoder.finish();
      sink.end();
      finish();
    } catch (Refused r) {
      fail(r.status, r.getMessage(), r.close);
    } catch (IOException | RuntimeException e) {
      failed(e);
    }
  }

  @Override
  public synchronized void onError(Throwable t) {
    failed(t);
  }

  @Override
  public synchronized void onTimeout(AsyncEvent event) {
    fail(408, "request timeout: the body was not read within the read timeout", true);
  }

  @Override
  public void onComplete(AsyncEvent event) {
    synchronized (this) {
      done = true;
      decoder.close();
      closeSink();
    }
  }

  private void closeSink() {
    if (!sinkClosed) {
      sinkClosed = true;
      sink.close();
    }
  }

  @Override
  public synchronized void onError(AsyncEvent event) {
    failed(event.getThrowable());
  }

  @Override
  public void onStartAsync(AsyncEvent event) {}

  /** A read or decode failure: the client's fault, answered with its status and no exception detail. */
  private void failed(@Nullable Throwable t) {
    if (done) {
      return;
    }
    int status = 400;
    String message = "data read error: the request body could not be read";
    for (Throwable c = t; c != null && c != c.getCause(); c = c.getCause()) {
      if (c instanceof Refused r) {
        status = r.status;
        message = r.getMessage();
        break;
      }
      if (c instanceof HttpException h && h.getCode() >= 400 && h.getCode() < 500) {
        status = h.getCode();
        message = status == 408 ? "request timeout: the body arrived too slowly" : "data read error: the request body could not be read";
        break;
      }
      if (c instanceof TimeoutException) {
        status = 408;
        message = "request timeout: the body arrived too slowly";
        break;
      }
    }
    if (t instanceof RuntimeException && !(t instanceof HttpException) && !(t instanceof UncheckedIOException)) {
      // Not a read failure: a fault of ours; the client still gets no detail of it.
      LOG.warn("request body processing failed: {}", t.getClass().getName());
    } else {
      LOG.debug("request body refused with {}: {}", status, t == null ? null : t.getClass().getSimpleName());
    }
    // The body cannot be read on: answer and close.
    fail(status, message, true);
  }

  /**
   * Answers a refused body. Unless {@code close}, the rest of the body is then read and dropped
   * (undecoded, within the same byte cap, data rate and read timeout), so that an honest client
   * still sending gets the answer instead of a reset connection, and the connection stays usable.
   */
  private void fail(int status, String message, boolean close) {
    if (done) {
      return;
    }
    if (answered) {
      finish();
      return;
    }
    try {
      answer(response, status, message, close && !eof);
    } catch (IOException | RuntimeException e) {
      LOG.debug("could not answer {}: {}", status, e.getClass().getSimpleName());
      close = true;
    }
    if (close || eof) {
      finish();
    } else {
      answered();
    }
  }

  /** The request has its answer: send it now, and drop the rest of the body as it comes. */
  private void answered() {
    answered = true;
    decoder.close();
    closeSink();
    try {
      response.flushBuffer();
    } catch (IOException e) {
      finish();
    }
  }

  private void finish() {
    if (done) {
      return;
    }
    done = true;
    decoder.close();
    closeSink();
    try {
      async.complete();
    } catch (IllegalStateException e) {
      LOG.debug("already complete");
    }
  }

  static void answer(HttpServletResponse response, int status, String message, boolean close) throws IOException {
    if (response.isCommitted()) {
      return;
    }
    response.resetBuffer();
    if (close) {
      response.setHeader("Connection", "close");
    }
    IntakeServlet.error(response, status, message);
  }

  private void decoded(byte[] bytes, int offset, int length) {
    decoded += length;
    decodedTotal.addAndGet(length);
    if (decoded > limits.maxBytes()) {
      throw new Refused(413, "request body too large: more than " + limits.maxBytes() + " bytes decompressed");
    }
  }

  private boolean emit(byte[] bytes, int offset, int length) {
    decoded(bytes, offset, length);
    try {
      return sink.accept(bytes, offset, length);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private abstract static class Decoder {
    /** @return false when the sink wants no more */
    abstract boolean feed(byte[] bytes, int offset, int length);

    /** The body ended: refuses a truncated stream. */
    abstract void finish();

    void close() {}
  }

  private final class Identity extends Decoder {
    @Override
    boolean feed(byte[] bytes, int offset, int length) {
      return emit(bytes, offset, length);
    }

    @Override
    void finish() {}
  }

  /** {@code deflate} is the zlib format (RFC 1950), as HTTP and APM Server read it. */
  private final class Deflate extends Decoder {
    private final Inflater inflater = new Inflater();
    private final byte[] out = new byte[BUFFER];
    private boolean closed;

    @Override
    boolean feed(byte[] bytes, int offset, int length) {
      if (inflater.finished()) {
        throw new Refused(400, "invalid deflate data: bytes after the end of the stream");
      }
      inflater.setInput(bytes, offset, length);
      try {
        while (true) {
          int n = inflater.inflate(out);
          if (n > 0) {
            if (!emit(out, 0, n)) {
              return false;
            }
          } else if (inflater.finished()) {
            if (inflater.getRemaining() > 0) {
              throw new Refused(400, "invalid deflate data: bytes after the end of the stream");
            }
            return true;
          } else if (inflater.needsInput()) {
            return true;
          } else if (inflater.needsDictionary()) {
            throw new Refused(400, "invalid deflate data: a preset dictionary is not supported");
          }
        }
      } catch (DataFormatException e) {
        throw new Refused(400, "invalid deflate data");
      }
    }

    @Override
    void finish() {
      if (raw > 0 && !inflater.finished()) {
        throw new Refused(400, "invalid deflate data: the stream is truncated");
      }
    }

    @Override
    void close() {
      if (!closed) {
        closed = true;
        inflater.end();
      }
    }
  }

  /** {@code gzip}, one or more members (RFC 1952), decoded by Jetty's incremental decoder. */
  private final class Gzip extends Decoder {
    private final Members gzip = new Members();
    private boolean stopped;
    private boolean closed;

    private final class Members extends GZIPContentDecoder {
      Members() {
        super(ByteBufferPool.NON_POOLING, BUFFER);
      }

      void decodeSome(ByteBuffer input) {
        decodeChunks(input);
      }

      @Override
      protected boolean decodedChunk(RetainableByteBuffer chunk) {
        ByteBuffer b = chunk.getByteBuffer();
        stopped = !emit(b.array(), b.arrayOffset() + b.position(), b.remaining());
        return stopped;
      }
    }

    @Override
    boolean feed(byte[] bytes, int offset, int length) {
      ByteBuffer input = ByteBuffer.wrap(bytes, offset, length);
      try {
        // The decoder returns at the end of each member: go on with the next one.
        while (input.hasRemaining() && !stopped) {
          int before = input.position();
          gzip.decodeSome(input);
          if (input.position() == before && !stopped) {
            throw new Refused(400, "invalid gzip data");
          }
        }
      } catch (RuntimeException e) {
        throw asRefused(e);
      }
      return !stopped;
    }

    private RuntimeException asRefused(RuntimeException e) {
      if (e instanceof Refused || e instanceof UncheckedIOException) {
        return e;
      }
      for (Throwable c = e; c != null && c != c.getCause(); c = c.getCause()) {
        if (c instanceof ZipException) {
          return new Refused(400, "invalid gzip data");
        }
      }
      return e;
    }

    @Override
    void finish() {
      if (!gzip.isFinished()) {
        throw new Refused(400, "invalid gzip data: the stream is truncated");
      }
    }

    @Override
    void close() {
      if (!closed) {
        closed = true;
        gzip.destroy();
      }
    }
  }
}
