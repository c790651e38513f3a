//! Dates as the gateway writes them (protocol audit D25): the XML form has
//! no zone and is read as German time, the JSON form's offset is honoured,
//! a bare date stays its calendar day.

use internetx::response::utc_timestamp;

#[test]
fn zone_less_xml_dates_are_german_time() {
    for (xml, utc) in [
        // Winter: CET, UTC+1.
        ("2027-03-01 12:00:00", "2027-03-01T11:00:00Z"),
        ("2012-11-11 11:44:33", "2012-11-11T10:44:33Z"),
        // Summer: CEST, UTC+2.
        ("2027-07-15 00:30:00", "2027-07-14T22:30:00Z"),
        // 2027's switches: 28 March and 31 October, 01:00 UTC each.
        ("2027-03-28 01:59:59", "2027-03-28T00:59:59Z"),
        ("2027-03-28 03:00:00", "2027-03-28T01:00:00Z"),
        ("2027-10-31 01:59:59", "2027-10-30T23:59:59Z"),
        // The repeated hour is read as its first (summer) occurrence.
        ("2027-10-31 02:30:00", "2027-10-31T00:30:00Z"),
        ("2027-10-31 03:00:00", "2027-10-31T02:00:00Z"),
    ] {
        assert_eq!(utc_timestamp(xml).as_deref(), Some(utc), "{xml}");
    }
}

#[test]
fn zoned_and_date_only_forms_keep_their_meaning() {
    assert_eq!(
        utc_timestamp("2019-07-01T10:44:26.000+0200").as_deref(),
        Some("2019-07-01T08:44:26Z")
    );
    assert_eq!(
        utc_timestamp("2022-01-19T10:54:42+01:00").as_deref(),
        Some("2022-01-19T09:54:42Z")
    );
    assert_eq!(
        utc_timestamp("2027-12-02").as_deref(),
        Some("2027-12-02T00:00:00Z")
    );
    assert_eq!(utc_timestamp("next tuesday"), None);
}
