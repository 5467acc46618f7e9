// SPDX-License-Identifier: MIT
#include "testserver.h"

#include "privatecluster.h"

#include <QtCore/QStringList>

#include <algorithm>

using namespace Qt::Literals::StringLiterals;

namespace QPgTest {

namespace {

// Read once per process: the fixture writes the file before any test starts.
const QMap<QString, QString> &state()
{
    static const QMap<QString, QString> values = [] {
        if (!qEnvironmentVariableIsEmpty("QPG_TEST_DSN")) {
            return QMap<QString, QString>{
                {u"DSN"_s, qEnvironmentVariable("QPG_TEST_DSN")},
                {u"PASSWORD_DSN"_s, qEnvironmentVariable("QPG_TEST_PASSWORD_DSN")},
                {u"SOCKET_DSN"_s, qEnvironmentVariable("QPG_TEST_SOCKET_DSN")},
            };
        }
        const QString stateFile = qEnvironmentVariable("QPG_TEST_STATE_FILE");
        if (stateFile.isEmpty()) {
            qFatal("No PostgreSQL server for the tests: neither QPG_TEST_STATE_FILE nor QPG_TEST_DSN is "
                   "set. Run the tests through ctest (its pgcluster fixture starts a private server), or "
                   "start one with `qpg-cluster start <file>` and set QPG_TEST_STATE_FILE=<file>.");
        }
        QString error;
        const auto values = QPg::Dev::PrivateCluster::readStateFile(stateFile, &error);
        if (!values || values->value(u"DSN"_s).isEmpty()) {
            qFatal("No PostgreSQL server for the tests: %s. The pgcluster fixture (qpg-cluster start) "
                   "should have written it; did pgcluster.start fail?",
                   qUtf8Printable(values ? u"%1 has no DSN"_s.arg(stateFile) : error));
        }
        return *values;
    }();
    return values;
}

QString required(const QString &key, const char *environmentName)
{
    const QString value = state().value(key);
    if (value.isEmpty()) {
        qFatal("The test server has no %s: with an outside server (QPG_TEST_DSN) set %s as well.",
               qUtf8Printable(key), environmentName);
    }
    return value;
}

// One libpq key=value token, with the quoting rules of PQconnectdb.
struct Token
{
    QString key;
    QString text; // as written, quotes included
};

QList<Token> tokenize(const QString &dsn)
{
    QList<Token> tokens;
    qsizetype i = 0;
    const qsizetype n = dsn.size();
    while (i < n) {
        while (i < n && dsn.at(i).isSpace())
            ++i;
        if (i >= n)
            break;
        const qsizetype keyStart = i;
        while (i < n && dsn.at(i) != u'=' && !dsn.at(i).isSpace())
            ++i;
        Token token{dsn.mid(keyStart, i - keyStart), {}};
        while (i < n && dsn.at(i).isSpace())
            ++i;
        if (i < n && dsn.at(i) == u'=')
            ++i;
        while (i < n && dsn.at(i).isSpace())
            ++i;
        const qsizetype valueStart = i;
        if (i < n && dsn.at(i) == u'\'') {
            ++i;
            while (i < n && dsn.at(i) != u'\'') {
                if (dsn.at(i) == u'\\')
                    ++i;
                ++i;
            }
            ++i; // closing quote
        } else {
            while (i < n && !dsn.at(i).isSpace()) {
                if (dsn.at(i) == u'\\')
                    ++i;
                ++i;
            }
        }
        token.text = token.key + u'=' + dsn.mid(valueStart, std::min(i, n) - valueStart);
        tokens.append(token);
    }
    return tokens;
}

} // namespace

QString dsn()
{
    return required(u"DSN"_s, "QPG_TEST_DSN");
}

QString passwordDsn()
{
    return required(u"PASSWORD_DSN"_s, "QPG_TEST_PASSWORD_DSN");
}

QString passwordDsnWith(const QString &password)
{
    return withDsnParameter(passwordDsn(), u"password"_s, password);
}

QString socketDsn()
{
    return required(u"SOCKET_DSN"_s, "QPG_TEST_SOCKET_DSN");
}

bool isPrivateCluster()
{
    return !state().value(u"BASE_DIR"_s).isEmpty();
}

QString stateValue(const QString &key)
{
    return state().value(key);
}

QString withDsnParameter(const QString &dsn, const QString &key, const QString &value)
{
    if (dsn.startsWith(u"postgres://") || dsn.startsWith(u"postgresql://"))
        qFatal("withDsnParameter: %s is a URI; the test DSNs must be key=value strings", qUtf8Printable(dsn));
    QString escaped = value;
    escaped.replace(u"\\"_s, u"\\\\"_s).replace(u"'"_s, u"\\'"_s);
    QStringList parts;
    const QList<Token> tokens = tokenize(dsn);
    for (const Token &token : tokens) {
        if (token.key != key)
            parts.append(token.text);
    }
    parts.append(key + u"='"_s + escaped + u'\'');
    return parts.join(u' ');
}

} // namespace QPgTest
