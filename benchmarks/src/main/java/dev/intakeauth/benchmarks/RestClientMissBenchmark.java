package dev.intakeauth.benchmarks;

import co.elastic.clients.transport.rest5_client.low_level.Rest5Client;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.http.HttpHost;
import org.elasticsearch.client.Request;
import org.elasticsearch.client.RestClient;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The client's share of a cache miss: one {@code _has_privileges} call, sent asynchronously and read
 * whole, through the legacy low-level {@code RestClient} (Apache HttpAsyncClient 4) and through
 * {@code Rest5Client} (Apache HttpClient 5), against the same stub Elasticsearch on the loopback
 * interface that answers at once with a fixed body. Run with {@code -t 1} and with more threads
 * ({@code -t 8}) for the concurrent case; {@code -prof gc} adds the bytes allocated per call.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
// Without it the stub's separate header and body writes meet the client's delayed ACK (tens of ms a call).
@Fork(value = 2, jvmArgsAppend = "-Dsun.net.httpserver.nodelay=true")
@State(Scope.Benchmark)
public class RestClientMissBenchmark {

  private static final String PATH = "/_security/user/_has_privileges";
  private static final String BODY = "{\"application\":[{\"application\":\"apm\",\"privileges\":"
      + "[\"event:write\",\"config_agent:read\",\"sourcemap:write\"],\"resources\":[\"-\"]}]}";
  private static final byte[] ANSWER = ("{\"username\":\"bench\",\"has_all_requested\":true,\"cluster\":{},"
      + "\"index\":{},\"application\":{\"apm\":{\"-\":{\"config_agent:read\":true,\"event:write\":true,"
      + "\"sourcemap:write\":true}}}}").getBytes(StandardCharsets.UTF_8);
  private static final String AUTHORIZATION = "ApiKey YmVuY2gta2V5LWlkOmJlbmNoLWtleS1zZWNyZXQ=";

  private HttpServer stub;
  private ExecutorService stubThreads;
  private RestClient restClient;
  private Rest5Client rest5Client;

  /**
   * Starts the stub and both clients.
   *
   * @throws IOException if the stub cannot listen
   */
  @Setup(Level.Trial)
  public void setUp() throws IOException {
    stub = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
    stubThreads = Executors.newFixedThreadPool(8);
    stub.setExecutor(stubThreads);
    stub.createContext(PATH, exchange -> {
      try (InputStream in = exchange.getRequestBody()) {
        in.readAllBytes();
      }
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.getResponseHeaders().set("X-elastic-product", "Elasticsearch");
      exchange.sendResponseHeaders(200, ANSWER.length);
      exchange.getResponseBody().write(ANSWER);
      exchange.close();
    });
    stub.start();
    int port = stub.getAddress().getPort();
    restClient = RestClient.builder(new HttpHost("127.0.0.1", port, "http")).build();
    rest5Client = Rest5Client.builder(new org.apache.hc.core5.http.HttpHost("http", "127.0.0.1", port)).build();
  }

  /**
   * Closes the clients and stops the stub.
   *
   * @throws IOException if a client fails to close
   */
  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    restClient.close();
    rest5Client.close();
    stub.stop(0);
    stubThreads.shutdownNow();
  }

  /**
   * One call through the legacy client.
   *
   * @return the answer's bytes
   */
  @Benchmark
  public byte[] restClient() {
    Request request = new Request("POST", PATH);
    request.setOptions(request.getOptions().toBuilder().addHeader("Authorization", AUTHORIZATION));
    request.setJsonEntity(BODY);
    CompletableFuture<byte[]> answer = new CompletableFuture<>();
    restClient.performRequestAsync(request, new org.elasticsearch.client.ResponseListener() {
      @Override
      public void onSuccess(org.elasticsearch.client.Response response) {
        try {
          answer.complete(org.apache.http.util.EntityUtils.toByteArray(response.getEntity()));
        } catch (IOException | RuntimeException e) {
          answer.completeExceptionally(e);
        }
      }

      @Override
      public void onFailure(Exception exception) {
        answer.completeExceptionally(exception);
      }
    });
    return answer.join();
  }

  /**
   * One call through {@code Rest5Client}.
   *
   * @return the answer's bytes
   */
  @Benchmark
  public byte[] rest5Client() {
    var request = new co.elastic.clients.transport.rest5_client.low_level.Request("POST", PATH);
    request.setOptions(request.getOptions().toBuilder().addHeader("Authorization", AUTHORIZATION));
    request.setJsonEntity(BODY);
    CompletableFuture<byte[]> answer = new CompletableFuture<>();
    rest5Client.performRequestAsync(request, new co.elastic.clients.transport.rest5_client.low_level.ResponseListener() {
      @Override
      public void onSuccess(co.elastic.clients.transport.rest5_client.low_level.Response response) {
        try {
          answer.complete(org.apache.hc.core5.http.io.entity.EntityUtils.toByteArray(response.getEntity()));
        } catch (IOException | RuntimeException e) {
          answer.completeExceptionally(e);
        }
      }

      @Override
      public void onFailure(Exception exception) {
        answer.completeExceptionally(exception);
      }
    });
    return answer.join();
  }
}
