package io.vboxmcp.core.internal.publish;

import io.vboxmcp.core.internal.verify.OpenPgp;
import org.bouncycastle.bcpg.ArmoredOutputStream;
import org.bouncycastle.bcpg.BCPGOutputStream;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPObjectFactory;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSecretKey;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureGenerator;
import org.bouncycastle.openpgp.PGPSignatureSubpacketGenerator;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.bc.BcPGPObjectFactory;
import org.bouncycastle.openpgp.operator.bc.BcPBESecretKeyDecryptorBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentSignerBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPDigestCalculatorProvider;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.Iterator;
import java.util.List;

/**
 * Makes OpenPGP detached signatures for publishing; verification is {@link OpenPgp}'s, and a key that verification
 * would refuse (expired, revoked, not allowed to sign) is not used here either.
 */
public final class OpenPgpSigner {
    private OpenPgpSigner() {
    }

    /**
     * Signs like {@code gpg --detach-sign --armor}: v4 binary-document signature, SHA-512, issuer fingerprint, made
     * with the newest usable signing subkey (or the primary key if it may sign).
     *
     * @throws IllegalArgumentException with a sentence for the user if the key cannot sign or the passphrase is wrong
     */
    public static byte[] sign(byte[] data, byte[] secretKeyFile, char[] passphrase, Instant now) {
        try {
            PGPSecretKeyRing ring = readSecretKey(secretKeyFile);
            PGPPublicKeyRing pub = publicRing(ring);
            PGPSecretKey chosen = null;
            String lastProblem = "no key in the ring may sign";
            for (Iterator<PGPSecretKey> it = ring.getSecretKeys(); it.hasNext(); ) {
                PGPSecretKey sk = it.next();
                if (sk.isPrivateKeyEmpty()) continue;
                PGPPublicKey pk = pub.getPublicKey(sk.getKeyID());
                String problem = OpenPgp.signingKeyProblem(pub, pk, now, now);
                if (problem != null) {
                    lastProblem = problem;
                    continue;
                }
                if (chosen == null || chosen.isMasterKey() || pk.getCreationTime().after(chosen.getPublicKey().getCreationTime())) {
                    chosen = sk;
                }
            }
            if (chosen == null) throw new IllegalArgumentException(lastProblem);
            PGPPrivateKey priv;
            try {
                priv = chosen.extractPrivateKey(new BcPBESecretKeyDecryptorBuilder(new BcPGPDigestCalculatorProvider()).build(passphrase));
            } catch (PGPException e) {
                throw new IllegalArgumentException("cannot unlock the OpenPGP secret key (wrong passphrase?)");
            }
            PGPPublicKey signer = chosen.getPublicKey();
            PGPSignatureGenerator gen = new PGPSignatureGenerator(
                    new BcPGPContentSignerBuilder(signer.getAlgorithm(), HashAlgorithmTags.SHA512), signer);
            gen.init(PGPSignature.BINARY_DOCUMENT, priv);
            PGPSignatureSubpacketGenerator sp = new PGPSignatureSubpacketGenerator();
            sp.setSignatureCreationTime(false, Date.from(now));
            sp.setIssuerFingerprint(false, signer);
            gen.setHashedSubpackets(sp.generate());
            PGPSignatureSubpacketGenerator unhashed = new PGPSignatureSubpacketGenerator();
            unhashed.setIssuerKeyID(false, signer.getKeyID());
            gen.setUnhashedSubpackets(unhashed.generate());
            gen.update(data);
            PGPSignature sig = gen.generate();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (ArmoredOutputStream aos = ArmoredOutputStream.builder().clearHeaders().build(out);
                 BCPGOutputStream bout = new BCPGOutputStream(aos)) {
                sig.encode(bout);
            }
            return out.toByteArray();
        } catch (PGPException | IOException e) {
            throw new IllegalArgumentException("OpenPGP signing failed: " + e.getMessage());
        }
    }

    private static PGPSecretKeyRing readSecretKey(byte[] file) {
        try (InputStream in = PGPUtil.getDecoderStream(new ByteArrayInputStream(file))) {
            PGPObjectFactory f = new BcPGPObjectFactory(in);
            Object o = f.nextObject();
            if (!(o instanceof PGPSecretKeyRing ring)) {
                throw new IllegalArgumentException("not an OpenPGP secret key (export it with gpg --export-secret-keys --armor)");
            }
            return ring;
        } catch (IOException | RuntimeException e) {
            if (e instanceof IllegalArgumentException iae) throw iae;
            throw new IllegalArgumentException("malformed OpenPGP secret key: " + e.getMessage());
        }
    }

    private static PGPPublicKeyRing publicRing(PGPSecretKeyRing ring) throws IOException {
        List<PGPPublicKey> keys = new ArrayList<>();
        for (Iterator<PGPPublicKey> it = ring.getPublicKeys(); it.hasNext(); ) keys.add(it.next());
        return new PGPPublicKeyRing(keys);
    }
}
