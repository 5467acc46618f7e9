// SPDX-License-Identifier: MIT
#pragma once

#include <QPg/qpgpool_export.h>
#include <QPg/timestamp.h>

#include <QtCore/QJsonObject>
#include <QtCore/QList>
#include <QtCore/QMetaObject>
#include <QtCore/QStringList>
#include <QtCore/QVariant>

#include <memory>

namespace QPg {

class ResultData;

// One row of a query result. Records share the result they come from (cheap to copy, safe to keep
// after the connection is gone) and decode a value only when it is read.
//
// A SQL NULL is a QVariant holding std::nullptr_t (QVariant::isNull() is true); an empty string is a
// QString. Types: bool, int (int2/int4), qlonglong (int8), uint (oid), double (float4/float8),
// QString (text types, numeric kept exact as text, interval, unknown types), QByteArray (bytea),
// QDate, QTime, QPg::Timestamp (timestamp, timestamptz), QUuid, QJsonValue (json, jsonb),
// QVariantList (arrays, nested for several dimensions).
class QPGPOOL_EXPORT Record
{
public:
    Record();
    ~Record();
    Record(const Record &other);
    Record &operator=(const Record &other);
    Record(Record &&other) noexcept;
    Record &operator=(Record &&other) noexcept;

    // False for the "no row" record fetchRow() gives when the query returned nothing; that record
    // still names the result's columns (size(), columnNames()) but has no values.
    bool isValid() const { return m_row >= 0; }
    int size() const;
    bool isEmpty() const { return size() == 0; }

    QVariant value(int column) const;
    // Invalid QVariant when there is no such column.
    QVariant value(QStringView columnName) const;
    QVariant operator[](int column) const { return value(column); }
    QVariant operator[](QStringView columnName) const { return value(columnName); }
    bool isNull(int column) const;
    int indexOf(QStringView columnName) const;
    bool contains(QStringView columnName) const { return indexOf(columnName) >= 0; }

    QString columnName(int column) const;
    QStringList columnNames() const;
    quint32 columnTypeOid(int column) const;
    QString columnTypeName(int column) const;

    QVariantList values() const;
    QVariantMap toVariantMap() const;
    QJsonObject toJsonObject() const;

private:
    friend class ResultData;
    Record(std::shared_ptr<const ResultData> result, int row);

    std::shared_ptr<const ResultData> m_result;
    int m_row = -1;
};

using RecordList = QList<Record>;

// Sets the properties of a Q_GADGET from the columns of the same name (asyncpg's record_class, in
// C++): columns without a property are ignored, and so are values the property type cannot take.
QPGPOOL_EXPORT void fillGadget(void *gadget, const QMetaObject &metaObject, const Record &record);
// fillGadget() for records.size() gadgets stored stride bytes apart from first, one per record; columns
// are matched to properties once per result instead of once per row.
QPGPOOL_EXPORT void fillGadgets(void *first, qsizetype stride, const QMetaObject &metaObject,
                                const RecordList &records);

template<typename T>
T recordAs(const Record &record)
{
    T value{};
    fillGadget(&value, T::staticMetaObject, record);
    return value;
}

template<typename T>
QList<T> recordsAs(const RecordList &records)
{
    QList<T> list(records.size());
    fillGadgets(list.data(), qsizetype(sizeof(T)), T::staticMetaObject, records);
    return list;
}

} // namespace QPg

Q_DECLARE_METATYPE(QPg::Record)
