// SPDX-License-Identifier: MIT
#include <QPg/record.h>

#include "resultdata_p.h"
#include "binarycodec_p.h"
#include "logging_p.h"
#include "textcodec_p.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonValue>
#include <QtCore/QMetaProperty>

namespace QPg {

ResultData::ResultData(Private::PGresultPtr result, Private::CustomCodecsPtr codecs)
    : m_result(std::move(result))
    , m_codecs(std::move(codecs))
    , m_rows(PQntuples(m_result.get()))
    , m_columns(PQnfields(m_result.get()))
{
    resolveDecoders();
}

ResultData::ResultData(Private::CopiedRows &&rows, Private::CustomCodecsPtr codecs)
    : m_result(std::move(rows.header))
    , m_copied(std::make_unique<Private::CopiedRows>(std::move(rows)))
    , m_codecs(std::move(codecs))
    , m_rows(m_copied->rows)
    , m_columns(PQnfields(m_result.get()))
{
    resolveDecoders();
}

void ResultData::resolveDecoders()
{
    const PGresult *r = m_result.get();
    m_decoders.reserve(m_columns);
    for (int c = 0; c < m_columns; ++c)
        m_decoders.append(Private::ColumnDecoder::resolve(PQftype(r, c), PQfformat(r, c) == 1, m_codecs.get()));
}

const QList<QString> &ResultData::columnNames() const
{
    std::call_once(m_namesOnce, [this] {
        const PGresult *r = m_result.get();
        m_names.reserve(m_columns);
        for (int c = 0; c < m_columns; ++c) {
            m_names.append(QString::fromUtf8(PQfname(r, c)));
            // Wide results get a hash for lookups by name; the first column of a name wins, as in
            // asyncpg's Record.
            if (m_columns > 16 && !m_indexByName.contains(m_names.last()))
                m_indexByName.insert(m_names.last(), c);
        }
    });
    return m_names;
}

int ResultData::indexOf(QStringView name) const
{
    const QList<QString> &names = columnNames();
    // Most results have few columns: comparing in place beats building a QString key to hash.
    if (names.size() <= 16) {
        for (qsizetype c = 0; c < names.size(); ++c) {
            if (names.at(c) == name)
                return int(c);
        }
        return -1;
    }
    return m_indexByName.value(name.toString(), -1);
}

bool ResultData::isNull(int row, int column) const
{
    if (m_copied)
        return m_copied->at(row, column, m_columns).length < 0;
    return PQgetisnull(m_result.get(), row, column);
}

QVariant ResultData::value(int row, int column) const
{
    if (m_copied) {
        const Private::CopiedRows::Value v = m_copied->at(row, column, m_columns);
        if (v.length < 0)
            return QVariant::fromValue(nullptr);
        return m_decoders[column].decode(m_copied->data.constData() + v.start, v.length);
    }
    return decode(m_result.get(), row, column, m_decoders[column]);
}

QVariant ResultData::valueOf(const PGresult *result, int row, int column, const Private::CustomCodecs *codecs)
{
    return decode(result, row, column,
                  Private::ColumnDecoder::resolve(PQftype(result, column), PQfformat(result, column) == 1, codecs));
}

QVariant ResultData::decode(const PGresult *r, int row, int column, const Private::ColumnDecoder &decoder)
{
    const int length = PQgetlength(r, row, column);
    // A NULL reads as length 0: only empty values need the second call to tell.
    if (length == 0 && PQgetisnull(r, row, column))
        return QVariant::fromValue(nullptr);
    return decoder.decode(PQgetvalue(r, row, column), length);
}

RecordList ResultData::records(const std::shared_ptr<const ResultData> &result)
{
    RecordList list;
    list.reserve(result->rowCount());
    for (int row = 0; row < result->rowCount(); ++row)
        list.append(Record(result, row));
    return list;
}

Record ResultData::record(const std::shared_ptr<const ResultData> &result, int row)
{
    if (!result)
        return Record();
    if (row < 0 || row >= result->rowCount())
        return Record(result, -1); // no row, but the result's columns are still known
    return Record(result, row);
}

Record::Record() = default;
Record::~Record() = default;
Record::Record(const Record &other) = default;
Record &Record::operator=(const Record &other) = default;
Record::Record(Record &&other) noexcept = default;
Record &Record::operator=(Record &&other) noexcept = default;

Record::Record(std::shared_ptr<const ResultData> result, int row)
    : m_result(std::move(result))
    , m_row(row)
{
}

int Record::size() const
{
    return m_result ? m_result->columnCount() : 0;
}

QVariant Record::value(int column) const
{
    if (!isValid() || column < 0 || column >= m_result->columnCount())
        return QVariant();
    return m_result->value(m_row, column);
}

QVariant Record::value(QStringView columnName) const
{
    return value(indexOf(columnName));
}

bool Record::isNull(int column) const
{
    if (!isValid() || column < 0 || column >= m_result->columnCount())
        return true;
    return m_result->isNull(m_row, column);
}

int Record::indexOf(QStringView columnName) const
{
    return m_result ? m_result->indexOf(columnName) : -1;
}

QString Record::columnName(int column) const
{
    if (!m_result || column < 0 || column >= m_result->columnCount())
        return QString();
    return m_result->columnName(column);
}

QStringList Record::columnNames() const
{
    return m_result ? QStringList(m_result->columnNames()) : QStringList();
}

quint32 Record::columnTypeOid(int column) const
{
    if (!m_result || column < 0 || column >= m_result->columnCount())
        return 0;
    return m_result->columnType(column);
}

QString Record::columnTypeName(int column) const
{
    if (!m_result || column < 0 || column >= m_result->columnCount())
        return QString();
    return Private::typeName(m_result->columnType(column));
}

QVariantList Record::values() const
{
    if (!isValid())
        return {};
    QVariantList list;
    list.reserve(size());
    for (int c = 0; c < size(); ++c)
        list.append(value(c));
    return list;
}

QVariantMap Record::toVariantMap() const
{
    if (!isValid())
        return {};
    QVariantMap map;
    for (int c = size() - 1; c >= 0; --c) // backwards, so the first of duplicate names wins
        map.insert(columnName(c), value(c));
    return map;
}

QJsonObject Record::toJsonObject() const
{
    if (!isValid())
        return {};
    QJsonObject object;
    for (int c = size() - 1; c >= 0; --c) {
        const QVariant v = value(c);
        QJsonValue json;
        if (v.metaType() == QMetaType::fromType<std::nullptr_t>())
            json = QJsonValue(QJsonValue::Null);
        else if (v.metaType() == QMetaType::fromType<QJsonValue>())
            json = v.value<QJsonValue>();
        else if (v.metaType() == QMetaType::fromType<QByteArray>())
            json = QString::fromLatin1(v.toByteArray().toBase64());
        else if (v.metaType() == QMetaType::fromType<qlonglong>()
                 && std::abs(v.toLongLong()) > (qlonglong(1) << 53))
            json = v.toString(); // a double cannot hold it exactly
        else
            json = QJsonValue::fromVariant(v);
        object.insert(columnName(c), json);
    }
    return object;
}

namespace {

// The properties of a gadget type that name a column, matched once per result rather than per row.
class GadgetMapping
{
public:
    explicit GadgetMapping(const QMetaObject &metaObject)
        : m_metaObject(metaObject)
    {
    }

    void fill(void *gadget, const Record &record)
    {
        const ResultData *result = ResultData::resultOf(record).get();
        if (!result || !record.isValid())
            return;
        if (result != m_result)
            map(result);
        const int row = ResultData::rowOf(record);
        for (const Target &target : std::as_const(m_targets)) {
            if (result->isNull(row, target.column))
                continue;
            QVariant value = result->value(row, target.column);
            if (value.metaType() != target.property.metaType() && !value.convert(target.property.metaType()))
                continue;
            target.property.writeOnGadget(gadget, value);
        }
    }

private:
    void map(const ResultData *result)
    {
        m_result = result;
        m_targets.clear();
        for (int i = m_metaObject.propertyOffset(); i < m_metaObject.propertyCount(); ++i) {
            const QMetaProperty property = m_metaObject.property(i);
            const int column = result->indexOf(QString::fromLatin1(property.name()));
            if (column >= 0)
                m_targets.append({property, column});
        }
    }

    struct Target
    {
        QMetaProperty property;
        int column;
    };
    const QMetaObject &m_metaObject;
    const ResultData *m_result = nullptr; // the one m_targets is for
    QVarLengthArray<Target, 16> m_targets;
};

} // namespace

void fillGadget(void *gadget, const QMetaObject &metaObject, const Record &record)
{
    GadgetMapping(metaObject).fill(gadget, record);
}

void fillGadgets(void *first, qsizetype stride, const QMetaObject &metaObject, const RecordList &records)
{
    GadgetMapping mapping(metaObject);
    char *gadget = static_cast<char *>(first);
    for (const Record &record : records) {
        mapping.fill(gadget, record);
        gadget += stride;
    }
}

} // namespace QPg
