package io.jistiod.pilot.gatewayapi;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.RSAPrivateKey;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

/**
 * Whether a certificate and key make a usable pair, checked as Go's {@code tls.X509KeyPair} checks
 * them (istiod rejects a listener certificate it fails), with Go's error texts: they end up in the
 * listener's status.
 */
final class KeyPairs {
  private static final Pattern BLOCK =
      Pattern.compile("-----BEGIN ([^\\r\\n-]*)-----\\r?\\n(.*?)-----END \\1-----", Pattern.DOTALL);

  private KeyPairs() {}

  private record Block(String type, byte[] bytes) {}

  /** Null if the pair is good, else Go's reason. */
  static String problem(byte[] certPem, byte[] keyPem) {
    List<Block> certBlocks = blocks(certPem);
    List<byte[]> certs = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    for (Block b : certBlocks) {
      if (b.type.equals("CERTIFICATE")) {
        certs.add(b.bytes);
      } else {
        skipped.add(b.type);
      }
    }
    if (certs.isEmpty()) {
      if (skipped.isEmpty()) {
        return "tls: failed to find any PEM data in certificate input";
      }
      if (skipped.size() == 1 && skipped.get(0).endsWith("PRIVATE KEY")) {
        return "tls: failed to find certificate PEM data in certificate input, but did find a"
            + " private key; PEM inputs may have been switched";
      }
      return "tls: failed to find \"CERTIFICATE\" PEM block in certificate input after skipping"
          + " PEM blocks of the following types: "
          + goList(skipped);
    }
    skipped.clear();
    Block key = null;
    for (Block b : blocks(keyPem)) {
      if (b.type.equals("PRIVATE KEY") || b.type.endsWith(" PRIVATE KEY")) {
        key = b;
        break;
      }
      skipped.add(b.type);
    }
    if (key == null) {
      if (skipped.isEmpty()) {
        return "tls: failed to find any PEM data in key input";
      }
      if (skipped.size() == 1 && skipped.get(0).equals("CERTIFICATE")) {
        return "tls: found a certificate rather than a key in the PEM for the private key";
      }
      return "tls: failed to find PEM block with type ending in \"PRIVATE KEY\" in key input after"
          + " skipping PEM blocks of the following types: "
          + goList(skipped);
    }
    X509Certificate cert;
    try {
      cert =
          (X509Certificate)
              CertificateFactory.getInstance("X.509")
                  .generateCertificate(new ByteArrayInputStream(certs.get(0)));
    } catch (CertificateException | RuntimeException e) {
      return "x509: malformed certificate";
    }
    PrivateKey privateKey = parsePrivateKey(key.bytes);
    if (privateKey == null) {
      return "tls: failed to parse private key";
    }
    PublicKey publicKey = cert.getPublicKey();
    String algorithm = publicKey.getAlgorithm();
    if (!algorithm.equals(privateKey.getAlgorithm())) {
      return "tls: private key type does not match public key type";
    }
    return matches(publicKey, privateKey) ? null : "tls: private key does not match public key";
  }

  /** Go's {@code %v} of a string slice: {@code [A B]}. */
  private static String goList(List<String> items) {
    return "[" + String.join(" ", items) + "]";
  }

  private static List<Block> blocks(byte[] pem) {
    List<Block> out = new ArrayList<>();
    Matcher m = BLOCK.matcher(new String(pem, StandardCharsets.ISO_8859_1));
    while (m.find()) {
      try {
        out.add(new Block(m.group(1), Base64.getMimeDecoder().decode(body(m.group(2)))));
      } catch (IllegalArgumentException e) {
        // not a block Go would decode; it skips it too
      }
    }
    return out;
  }

  /** The base64 text of a block, without RFC 1421 headers ({@code Proc-Type: ...}). */
  private static String body(String s) {
    int blank = s.indexOf("\n\n");
    if (s.contains(":") && blank >= 0) {
      return s.substring(blank + 2);
    }
    return s;
  }

  /** PKCS#1 RSA, PKCS#8, or SEC1 EC, the forms Go tries in that order. */
  private static PrivateKey parsePrivateKey(byte[] der) {
    try {
      RSAPrivateKey rsa = RSAPrivateKey.getInstance(der);
      return pkcs8(
          "RSA",
          new PrivateKeyInfo(
              new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE), rsa));
    } catch (RuntimeException | java.io.IOException e) {
      // not PKCS#1
    }
    for (String alg : new String[] {"RSA", "EC", "Ed25519"}) {
      try {
        return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException | RuntimeException e) {
        // try the next
      }
    }
    try {
      ECPrivateKey ec = ECPrivateKey.getInstance(der);
      ASN1ObjectIdentifier curve = (ASN1ObjectIdentifier) ec.getParametersObject();
      return pkcs8(
          "EC",
          new PrivateKeyInfo(
              new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey, curve), ec));
    } catch (RuntimeException | java.io.IOException e) {
      return null;
    }
  }

  private static PrivateKey pkcs8(String alg, PrivateKeyInfo info) throws java.io.IOException {
    try {
      return KeyFactory.getInstance(alg)
          .generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new java.io.IOException(e);
    }
  }

  /** Whether the private key belongs to the public key: what it signs, the public key verifies. */
  private static boolean matches(PublicKey publicKey, PrivateKey privateKey) {
    String signature =
        switch (publicKey.getAlgorithm()) {
          case "RSA" -> "SHA256withRSA";
          case "EC" -> "SHA256withECDSA";
          default -> publicKey.getAlgorithm(); // Ed25519
        };
    byte[] probe = "jistiod key pair check".getBytes(StandardCharsets.US_ASCII);
    try {
      Signature sign = Signature.getInstance(signature);
      sign.initSign(privateKey);
      sign.update(probe);
      byte[] signed = sign.sign();
      Signature verify = Signature.getInstance(signature);
      verify.initVerify(publicKey);
      verify.update(probe);
      return verify.verify(signed);
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }
}
