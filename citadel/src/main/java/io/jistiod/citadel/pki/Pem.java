package io.jistiod.citadel.pki;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * PEM reading and writing for certificates, private keys and CSRs.
 *
 * <p>Parse errors become {@link InvalidKeyMaterialException}s whose messages never echo the input,
 * because the input may be a private key.
 */
public final class Pem {
  private static final JcaX509CertificateConverter CERT_CONVERTER =
      new JcaX509CertificateConverter();
  private static final JcaPEMKeyConverter KEY_CONVERTER = new JcaPEMKeyConverter();

  private Pem() {}

  /** All certificates in {@code pem}, in order; an empty or blank string gives an empty list. */
  public static List<X509Certificate> parseCertificates(String pem) {
    Objects.requireNonNull(pem, "pem");
    List<X509Certificate> certs = new ArrayList<>();
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      Object object;
      while ((object = parser.readObject()) != null) {
        if (!(object instanceof X509CertificateHolder holder)) {
          throw new InvalidKeyMaterialException(
              "expected only CERTIFICATE blocks, found " + object.getClass().getSimpleName());
        }
        certs.add(CERT_CONVERTER.getCertificate(holder));
      }
    } catch (IOException | CertificateException | RuntimeException e) {
      if (e instanceof InvalidKeyMaterialException ikm) {
        throw ikm;
      }
      throw new InvalidKeyMaterialException("malformed PEM certificate: " + e.getMessage(), e);
    }
    return List.copyOf(certs);
  }

  /** The single certificate in {@code pem}. */
  public static X509Certificate parseCertificate(String pem) {
    List<X509Certificate> certs = parseCertificates(pem);
    if (certs.size() != 1) {
      throw new InvalidKeyMaterialException(
          "expected exactly one certificate, found " + certs.size());
    }
    return certs.get(0);
  }

  /**
   * The first private key in {@code pem}: PKCS#1 ({@code RSA PRIVATE KEY}), SEC1 ({@code EC PRIVATE
   * KEY}) or PKCS#8 ({@code PRIVATE KEY}), the three forms Istio reads. Encrypted keys are refused:
   * istiod has no passphrase to open them.
   */
  public static PrivateKey parsePrivateKey(String pem) {
    Objects.requireNonNull(pem, "pem");
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      Object object = parser.readObject();
      if (object instanceof PEMKeyPair pair) {
        // Only the private part: SEC1 keys written by the JDK carry no public key.
        return KEY_CONVERTER.getPrivateKey(pair.getPrivateKeyInfo());
      }
      if (object instanceof PrivateKeyInfo info) {
        return KEY_CONVERTER.getPrivateKey(info);
      }
      if (object instanceof PEMEncryptedKeyPair || object instanceof PKCS8EncryptedPrivateKeyInfo) {
        throw new InvalidKeyMaterialException("encrypted private keys are not supported");
      }
      throw new InvalidKeyMaterialException(
          object == null
              ? "no private key found in PEM"
              : "expected a private key, found " + object.getClass().getSimpleName());
    } catch (IOException | RuntimeException e) {
      if (e instanceof InvalidKeyMaterialException ikm) {
        throw ikm;
      }
      // The cause's message may quote key bytes; keep only its type.
      throw new InvalidKeyMaterialException(
          "malformed PEM private key (" + e.getClass().getSimpleName() + ")");
    }
  }

  /** The PKCS#10 request in {@code pem} (block type CERTIFICATE REQUEST). */
  public static PKCS10CertificationRequest parseCsr(String pem) {
    Objects.requireNonNull(pem, "pem");
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      Object object = parser.readObject();
      if (object instanceof PKCS10CertificationRequest csr) {
        return csr;
      }
      throw new InvalidKeyMaterialException(
          object == null
              ? "no CERTIFICATE REQUEST found in PEM"
              : "expected a CERTIFICATE REQUEST, found " + object.getClass().getSimpleName());
    } catch (IOException | RuntimeException e) {
      if (e instanceof InvalidKeyMaterialException ikm) {
        throw ikm;
      }
      throw new InvalidKeyMaterialException("malformed PEM CSR: " + e.getMessage(), e);
    }
  }

  /**
   * PEM text of one object (certificate, CSR, private key) with {@code \n} line ends, ending in a
   * newline.
   *
   * <p>Private keys are written as PKCS#8 ({@code PRIVATE KEY}): the traditional EC form that the
   * writer would otherwise derive from a JDK key loses the curve, and Istio reads PKCS#8 too.
   */
  public static String encode(Object object) {
    Objects.requireNonNull(object, "object");
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      if (object instanceof PrivateKey key) {
        writer.writeObject(new JcaPKCS8Generator(key, null));
      } else {
        writer.writeObject(object);
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot PEM-encode " + object.getClass().getName(), e);
    }
    // The writer uses the platform line separator; the wire format and Istio use "\n".
    return out.toString().replace("\r\n", "\n");
  }

  /** The concatenated PEM of {@code certs}, each ending in a newline. */
  public static String encodeAll(List<X509Certificate> certs) {
    StringBuilder out = new StringBuilder();
    for (X509Certificate cert : certs) {
      out.append(encode(cert));
    }
    return out.toString();
  }
}
