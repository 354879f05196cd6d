package dev.intakeauth.elasticsearch;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.Locale;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.jspecify.annotations.Nullable;

/** TLS trust for the Elasticsearch connection: a CA file, a pinned fingerprint, or both. */
final class TrustSupport {

  private TrustSupport() {}

  static String normalizeFingerprint(String sha256) {
    String hex = sha256.replace(":", "").strip().toLowerCase(Locale.ROOT);
    if (hex.length() != 64 || !hex.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      throw new IllegalArgumentException("a certificate fingerprint is 64 hex digits (SHA-256), with or without colons");
    }
    return hex;
  }

  static SSLContext sslContext(@Nullable Path caPem, @Nullable String fingerprint) {
    try {
      X509TrustManager ca = caPem == null ? null : caTrust(caPem);
      X509TrustManager trust = fingerprint == null ? ca : new PinningTrustManager(fingerprint, ca);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, new TrustManager[] {trust}, null);
      return ssl;
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the CA certificate file " + caPem + ": " + e.getMessage(), e);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot use the CA certificate file " + caPem + ": " + e.getMessage(), e);
    }
  }

  private static X509TrustManager caTrust(Path pem) throws IOException, GeneralSecurityException {
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    store.load(null, null);
    int n = 0;
    try (InputStream in = Files.newInputStream(pem)) {
      for (var cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        store.setCertificateEntry("ca-" + n++, cert);
      }
    }
    if (n == 0) {
      throw new CertificateException("no certificate in the file");
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(store);
    for (TrustManager tm : tmf.getTrustManagers()) {
      if (tm instanceof X509TrustManager x) {
        return x;
      }
    }
    throw new GeneralSecurityException("no X.509 trust manager");
  }

  /** Trusts a chain that holds a certificate with the pinned SHA-256, or that the CA trust accepts. */
  private static final class PinningTrustManager implements X509TrustManager {
    private final byte[] pin;
    private final @Nullable X509TrustManager fallback;

    PinningTrustManager(String hex, @Nullable X509TrustManager fallback) {
      this.pin = HexFormat.of().parseHex(hex);
      this.fallback = fallback;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      for (X509Certificate cert : chain) {
        try {
          if (MessageDigest.isEqual(pin, MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()))) {
            return;
          }
        } catch (java.security.NoSuchAlgorithmException e) {
          throw new CertificateException(e);
        }
      }
      if (fallback != null) {
        fallback.checkServerTrusted(chain, authType);
        return;
      }
      throw new CertificateException("no certificate in the server's chain has the trusted fingerprint");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      throw new CertificateException("not a server-side trust manager");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
