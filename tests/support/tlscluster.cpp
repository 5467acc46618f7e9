// SPDX-License-Identifier: MIT
#include "tlscluster.h"

#include "privatecluster.h"

#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QProcess>

using namespace Qt::Literals::StringLiterals;

namespace QPgTest {

namespace {

const auto passphraseVariable = u"QPG_TEST_KEY_PASSPHRASE"_s;

// Runs openssl in dir; the passphrase travels in the environment, never on a command line.
bool openssl(const QString &dir, const QStringList &args, const QString &passphrase, QString *error)
{
    QProcess process;
    process.setWorkingDirectory(dir);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"LC_ALL"_s, u"C"_s);
    env.insert(passphraseVariable, passphrase);
    process.setProcessEnvironment(env);
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.setStandardInputFile(QProcess::nullDevice());
    process.start(u"openssl"_s, args);
    if (!process.waitForStarted(30'000) || !process.waitForFinished(60'000)
        || process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0) {
        *error = u"openssl %1 failed (%2): %3"_s.arg(args.join(u' '), process.errorString(),
                                                     QString::fromLocal8Bit(process.readAll()));
        return false;
    }
    return true;
}

// A new P-256 key and a certificate for subject, signed by the CA named caName (self-signed when
// empty), with the given X.509v3 extensions.
bool makeCertificate(const QString &dir, const QString &name, const QString &subject, const QString &caName,
                     const QString &extensions, QString *error)
{
    const QStringList newKey{u"-newkey"_s, u"ec"_s, u"-pkeyopt"_s, u"ec_paramgen_curve:prime256v1"_s, u"-nodes"_s,
                             u"-keyout"_s, name + u".key"_s, u"-subj"_s, subject};
    if (caName.isEmpty())
        return openssl(dir, QStringList{u"req"_s, u"-x509"_s, u"-days"_s, u"2"_s, u"-out"_s, name + u".crt"_s} + newKey,
                       {}, error);
    QFile ext(dir + u'/' + name + u".ext"_s);
    if (!ext.open(QIODevice::WriteOnly) || ext.write(extensions.toUtf8() + '\n') < 0) {
        *error = u"cannot write %1"_s.arg(ext.fileName());
        return false;
    }
    ext.close();
    return openssl(dir, QStringList{u"req"_s, u"-new"_s, u"-out"_s, name + u".csr"_s} + newKey, {}, error)
        && openssl(dir,
                   {u"x509"_s, u"-req"_s, u"-in"_s, name + u".csr"_s, u"-CA"_s, caName + u".crt"_s, u"-CAkey"_s,
                    caName + u".key"_s, u"-CAcreateserial"_s, u"-days"_s, u"2"_s, u"-extfile"_s, ext.fileName(),
                    u"-out"_s, name + u".crt"_s},
                   {}, error);
}

QByteArray readAll(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

} // namespace

bool startTlsCluster(QPg::Dev::PrivateCluster &cluster, const TlsClusterSetup &setup, TlsFiles *files,
                     QString *error)
{
    if (!cluster.isStarted() && !cluster.start(error))
        return false;
    const QString dir = cluster.baseDirectory() + u"/tls"_s;
    if (!QDir().mkpath(dir)) {
        *error = u"cannot create "_s + dir;
        return false;
    }
    if (!makeCertificate(dir, u"ca"_s, u"/CN=QPgPool test CA"_s, {}, {}, error)
        || !makeCertificate(dir, u"other-ca"_s, u"/CN=QPgPool unrelated CA"_s, {}, {}, error)
        || !makeCertificate(dir, u"server"_s, u"/CN=localhost"_s, u"ca"_s,
                            u"subjectAltName=DNS:localhost,IP:127.0.0.1"_s, error)
        || !makeCertificate(dir, u"client"_s, u"/CN="_s + setup.clientRole, u"ca"_s,
                            u"extendedKeyUsage=clientAuth"_s, error)
        || !openssl(dir,
                    {u"pkey"_s, u"-in"_s, u"client.key"_s, u"-aes256"_s, u"-passout"_s,
                     u"env:"_s + passphraseVariable, u"-out"_s, u"client-encrypted.key"_s},
                    setup.keyPassphrase, error)) {
        return false;
    }
    files->caCert = dir + u"/ca.crt"_s;
    files->otherCaCert = dir + u"/other-ca.crt"_s;
    files->clientCert = dir + u"/client.crt"_s;
    files->clientKey = dir + u"/client.key"_s;
    files->encryptedClientKey = dir + u"/client-encrypted.key"_s;
    // libpq refuses a key file others may read.
    const auto ownerOnly = QFile::ReadOwner | QFile::WriteOwner;
    if (!QFile::setPermissions(files->clientKey, ownerOnly)
        || !QFile::setPermissions(files->encryptedClientKey, ownerOnly)) {
        *error = u"cannot make the client keys private"_s;
        return false;
    }

    const auto readable = ownerOnly | QFile::ReadGroup | QFile::ReadOther;
    if (!cluster.writeDataFile(u"server.crt"_s, readAll(dir + u"/server.crt"_s), readable, error)
        || !cluster.writeDataFile(u"server.key"_s, readAll(dir + u"/server.key"_s), ownerOnly, error)
        || !cluster.writeDataFile(u"root.crt"_s, readAll(files->caCert), readable, error)
        || !cluster.setHbaRules(setup.hbaRules, error)) {
        return false;
    }
    cluster.setServerSetting(u"ssl"_s, u"on"_s);
    cluster.setServerSetting(u"ssl_cert_file"_s, u"server.crt"_s);
    cluster.setServerSetting(u"ssl_key_file"_s, u"server.key"_s);
    cluster.setServerSetting(u"ssl_ca_file"_s, u"root.crt"_s);
    return cluster.restartServer(error);
}

} // namespace QPgTest
