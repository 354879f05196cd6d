package dev.intakeauth.testelasticsearch;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.jspecify.annotations.Nullable;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;
import org.xml.sax.helpers.DefaultHandler;

/**
 * Finds a JDK of at least a given feature version on this machine, for Elasticsearch versions the
 * build's own Java cannot run (Elasticsearch 9 needs Java 21).
 *
 * <p>Candidates, first match wins: the running JVM; the system property {@value #PROPERTY}; the
 * environment variables {@code ES_JAVA_HOME} and {@code JAVA_HOME}; the {@code jdk} toolchains in
 * {@code ~/.m2/toolchains.xml}; and every JDK under {@code /usr/lib/jvm} (or the directory named by
 * {@value #JVM_DIR_PROPERTY}), the lowest sufficient
 * version first (the one most likely to be supported). A candidate counts only when its
 * {@code release} file names its version and it has {@code bin/java} and {@code bin/javac} (the
 * harness compiles its analysis plugin with it).
 */
public final class JdkFinder {

  /** The system property naming a JDK home for the Elasticsearch versions that need a newer Java. */
  public static final String PROPERTY = "intakeauth.elasticsearch.java.home";

  /** The system property naming the directory of installed JVMs, {@code /usr/lib/jvm} by default. */
  public static final String JVM_DIR_PROPERTY = "intakeauth.elasticsearch.jvm.dir";

  /** A JDK that was found. */
  public record Jdk(Path home, int feature, String origin) {
    /**
     * A JDK.
     *
     * @param home its home directory
     * @param feature its feature version, such as 21
     * @param origin where it was found, for messages
     */
    public Jdk {
    }
  }

  private final Path runningHome;
  private final int runningFeature;
  private final @Nullable String property;
  private final Map<String, String> env;
  private final Path toolchains;
  private final Path jvmDir;

  /**
   * A finder over the given places; {@link #onThisMachine()} gives the real ones.
   *
   * @param runningHome the running JVM's home
   * @param runningFeature the running JVM's feature version
   * @param property the value of {@value #PROPERTY}, or null
   * @param env the environment
   * @param toolchains the Maven toolchains file (need not exist)
   * @param jvmDir the directory holding installed JVMs (need not exist)
   */
  public JdkFinder(Path runningHome, int runningFeature, @Nullable String property, Map<String, String> env, Path toolchains, Path jvmDir) {
    this.runningHome = runningHome;
    this.runningFeature = runningFeature;
    this.property = property;
    this.env = Map.copyOf(env);
    this.toolchains = toolchains;
    this.jvmDir = jvmDir;
  }

  /**
   * The finder over this machine's running JVM, system properties, environment, toolchains and
   * JVM directory.
   *
   * @return the finder
   */
  public static JdkFinder onThisMachine() {
    return new JdkFinder(Paths.get(System.getProperty("java.home")), Runtime.version().feature(), System.getProperty(PROPERTY), System.getenv(),
        Paths.get(System.getProperty("user.home"), ".m2", "toolchains.xml"), Paths.get(System.getProperty(JVM_DIR_PROPERTY, "/usr/lib/jvm")));
  }

  /**
   * The Java feature version an Elasticsearch version needs at least.
   *
   * @param elasticsearchVersion such as {@code 9.2.0}
   * @return 21 for 9.x and later, 17 before
   */
  public static int minimumJavaFor(String elasticsearchVersion) {
    int major = Integer.parseInt(elasticsearchVersion.substring(0, elasticsearchVersion.indexOf('.')));
    return major >= 9 ? 21 : 17;
  }

  /**
   * The first JDK of at least this feature version.
   *
   * @param minimum the feature version, such as 21
   * @return the JDK, or empty when there is none
   */
  public Optional<Jdk> find(int minimum) {
    List<Jdk> candidates = new ArrayList<>();
    // The running JVM has no javac requirement: the harness compiles in process then.
    candidates.add(new Jdk(runningHome, runningFeature, "the running JVM"));
    if (property != null && !property.isBlank()) {
      jdk(Paths.get(property), "-D" + PROPERTY).ifPresent(candidates::add);
    }
    for (String name : List.of("ES_JAVA_HOME", "JAVA_HOME")) {
      String value = env.get(name);
      if (value != null && !value.isBlank()) {
        jdk(Paths.get(value), name).ifPresent(candidates::add);
      }
    }
    toolchainHomes().forEach(home -> jdk(home, "toolchains.xml").ifPresent(candidates::add));
    candidates.addAll(installed());
    return candidates.stream().filter(j -> j.feature() >= minimum).findFirst();
  }

  private List<Jdk> installed() {
    if (!Files.isDirectory(jvmDir)) {
      return List.of();
    }
    try (Stream<Path> dirs = Files.list(jvmDir)) {
      return dirs.sorted()
          .flatMap(d -> jdk(d, jvmDir.toString()).stream())
          .sorted(Comparator.comparingInt(Jdk::feature))
          .toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  private List<Path> toolchainHomes() {
    if (!Files.isRegularFile(toolchains)) {
      return List.of();
    }
    try (InputStream in = Files.newInputStream(toolchains)) {
      DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
      factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      DocumentBuilder builder = factory.newDocumentBuilder();
      // Reported by the exception alone: the default handler would also print to stderr.
      builder.setErrorHandler(new DefaultHandler());
      Document doc = builder.parse(in);
      List<Path> homes = new ArrayList<>();
      NodeList chains = doc.getElementsByTagName("toolchain");
      for (int i = 0; i < chains.getLength(); i++) {
        Element chain = (Element) chains.item(i);
        if ("jdk".equals(text(chain, "type"))) {
          String home = text(chain, "jdkHome");
          if (home != null) {
            homes.add(Paths.get(home));
          }
        }
      }
      return homes;
    } catch (IOException | ParserConfigurationException | SAXException e) {
      return List.of();
    }
  }

  private static @Nullable String text(Element parent, String tag) {
    NodeList nodes = parent.getElementsByTagName(tag);
    return nodes.getLength() == 0 ? null : nodes.item(0).getTextContent().strip();
  }

  private static Optional<Jdk> jdk(Path home, String origin) {
    if (!Files.isRegularFile(home.resolve("bin/java")) || !Files.isRegularFile(home.resolve("bin/javac"))) {
      return Optional.empty();
    }
    return feature(home).map(f -> new Jdk(home, f, origin));
  }

  /** The feature version from the {@code release} file's {@code JAVA_VERSION}, such as 21 for "21.0.5". */
  static Optional<Integer> feature(Path home) {
    Properties release = new Properties();
    try (InputStream in = Files.newInputStream(home.resolve("release"))) {
      release.load(in);
    } catch (IOException e) {
      return Optional.empty();
    }
    String version = release.getProperty("JAVA_VERSION", "").replace("\"", "").strip();
    if (version.startsWith("1.")) {
      version = version.substring(2);
    }
    int end = 0;
    while (end < version.length() && Character.isDigit(version.charAt(end))) {
      end++;
    }
    if (end == 0) {
      return Optional.empty();
    }
    try {
      return Optional.of(Integer.parseInt(version.substring(0, end)));
    } catch (NumberFormatException e) {
      // Too many digits to be a Java version: not a JDK to consider.
      return Optional.empty();
    }
  }
}
