package sns

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"sync"
	"time"
)

// signingKeyBits is the RSA key size; AWS's SNS certificates are 2048-bit.
const signingKeyBits = 2048

// signer holds the key notifications are signed with. It is made on first
// use: a service that never delivers an envelope does not pay for an RSA
// key.
type signer struct {
	once sync.Once
	key  *signingKey
	err  error
}

// signingKey is the private key and its self-signed certificate.
type signingKey struct {
	priv     *rsa.PrivateKey
	certPEM  []byte
	certFile string // SimpleNotificationService-<hash>.pem, as AWS names it
}

func newSigner() *signer { return &signer{} }

// get returns the key, generating it the first time.
func (s *signer) get() (*signingKey, error) {
	s.once.Do(func() { s.key, s.err = generateSigningKey() })
	return s.key, s.err
}

func generateSigningKey() (*signingKey, error) {
	priv, err := rsa.GenerateKey(rand.Reader, signingKeyBits)
	if err != nil {
		return nil, fmt.Errorf("sns: generating signing key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, fmt.Errorf("sns: generating certificate serial: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "sns.amazonaws.com", Organization: []string{"Quarry localaws"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(10, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		return nil, fmt.Errorf("sns: creating signing certificate: %w", err)
	}
	sum := sha256.Sum256(der)
	return &signingKey{
		priv:     priv,
		certPEM:  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		certFile: "SimpleNotificationService-" + hex.EncodeToString(sum[:16]) + ".pem",
	}, nil
}

// sign signs data as SignatureVersion version says (1: SHA1withRSA, 2:
// SHA256withRSA) and returns the signature in base64.
func (k *signingKey) sign(version string, data string) (string, error) {
	var digest []byte
	hash := crypto.SHA1
	if version == "2" {
		sum := sha256.Sum256([]byte(data))
		digest, hash = sum[:], crypto.SHA256
	} else {
		sum := sha1.Sum([]byte(data))
		digest = sum[:]
	}
	sig, err := rsa.SignPKCS1v15(rand.Reader, k.priv, hash, digest)
	if err != nil {
		return "", fmt.Errorf("sns: signing notification: %w", err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}
