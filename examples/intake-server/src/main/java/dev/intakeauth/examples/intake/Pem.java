package dev.intakeauth.examples.intake;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** PEM certificates and keys: loading them for Jetty, and making a self-signed pair for local use. */
final class Pem {

  static final char[] STORE_PASSWORD = "intake-auth".toCharArray();

  private Pem() {}

  /**
   * A key store holding the key and certificate chain of {@code apm-server.ssl.key} and
   * {@code apm-server.ssl.certificate}.
   */
  static KeyStore keyStore(Path certificate, Path key) {
    List<Certificate> chain = new ArrayList<>();
    try (InputStream in = Files.newInputStream(certificate)) {
      Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
      chain.addAll(certs);
    } catch (IOException | GeneralSecurityException e) {
      throw new ConfigException("apm-server.ssl.certificate: cannot read PEM certificates from " + certificate + " (" + e.getClass().getSimpleName() + ")");
    }
    if (chain.isEmpty()) {
      throw new ConfigException("apm-server.ssl.certificate: no certificate in " + certificate);
    }
    PrivateKey privateKey = privateKey(key);
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry("server", privateKey, STORE_PASSWORD, chain.toArray(Certificate[]::new));
      return store;
    } catch (IOException | GeneralSecurityException e) {
      throw new ConfigException("apm-server.ssl.key: the key does not go with the certificate (" + e.getClass().getSimpleName() + ")");
    }
  }

  private static PrivateKey privateKey(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new ConfigException("apm-server.ssl.key: cannot read " + file + " (" + e.getClass().getSimpleName() + ")");
    }
    String begin = "-----BEGIN PRIVATE KEY-----";
    int start = text.indexOf(begin);
    int end = text.indexOf("-----END PRIVATE KEY-----");
    if (start < 0 || end < start) {
      throw new ConfigException("apm-server.ssl.key: expected an unencrypted PKCS#8 PEM key (BEGIN PRIVATE KEY) in " + file
          + "; convert one with: openssl pkcs8 -topk8 -nocrypt -in old.pem -out key.pem");
    }
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(text.substring(start + begin.length(), end));
    } catch (IllegalArgumentException e) {
      throw new ConfigException("apm-server.ssl.key: the PEM key in " + file + " is not valid base64");
    }
    for (String algorithm : List.of("EC", "RSA", "Ed25519", "EdDSA")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException e) {
        // try the next algorithm
      }
    }
    throw new ConfigException("apm-server.ssl.key: " + file + " holds no EC, RSA or Ed25519 key");
  }

  /**
   * Makes a self-signed certificate for localhost and 127.0.0.1 with the JDK's keytool, and writes it
   * and its key as PEM files (the key readable by its owner only).
   *
   * @return the certificate and the key
   */
  static Path[] selfSigned(Path dir) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Path store = Files.createTempFile(dir, "self-signed", ".p12");
    Files.delete(store);
    try {
      Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
          "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
          "-ext", "SAN=dns:localhost,ip:127.0.0.1,ip:::1", "-validity", "365", "-keystore", store.toString(),
          "-storetype", "PKCS12", "-storepass", new String(STORE_PASSWORD), "-keypass", new String(STORE_PASSWORD))
          .redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException("keytool failed: " + out.strip());
      }
      KeyStore ks = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(store)) {
        ks.load(in, STORE_PASSWORD);
      }
      Key key = ks.getKey("server", STORE_PASSWORD);
      Certificate cert = ks.getCertificate("server");
      Path certPem = dir.resolve("cert.pem");
      Path keyPem = dir.resolve("key.pem");
      Files.writeString(certPem, pem("CERTIFICATE", cert.getEncoded()));
      Files.deleteIfExists(keyPem);
      Files.createFile(keyPem);
      try {
        Files.setPosixFilePermissions(keyPem, PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException e) {
        // not a POSIX file system
      }
      Files.writeString(keyPem, pem("PRIVATE KEY", key.getEncoded()));
      return new Path[] {certPem, keyPem};
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot read the key keytool made (" + e.getClass().getSimpleName() + ")", e);
    } finally {
      Files.deleteIfExists(store);
    }
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der) + "\n-----END " + type + "-----\n";
  }
}
