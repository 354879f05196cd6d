package dev.intakeauth.cli;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/** A stand-in for Elasticsearch on a loopback socket: each request is answered by a function of it. */
final class StandInElasticsearch implements AutoCloseable {

  /** What the tool sent; {@code query} is raw (still percent-encoded), null when there is none. */
  record Request(String method, String path, @Nullable String query, @Nullable String authorization, byte[] body) {}

  /** A JSON answer. */
  record Answer(int status, String json) {
    static Answer ok(String json) {
      return new Answer(200, json);
    }
  }

  private final HttpServer server;

  private StandInElasticsearch(HttpServer server) {
    this.server = server;
  }

  /** Starts one on a free port. */
  static StandInElasticsearch start(Function<Request, Answer> answers) {
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.createContext("/", exchange -> {
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readAllBytes();
      }
      Answer answer = answers.apply(new Request(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
          exchange.getRequestURI().getRawQuery(), exchange.getRequestHeaders().getFirst("Authorization"), body));
      byte[] bytes = answer.json().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(answer.status(), bytes.length);
      exchange.getResponseBody().write(bytes);
      exchange.close();
    });
    server.start();
    return new StandInElasticsearch(server);
  }

  /** Its URL, for {@code --url}. */
  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
