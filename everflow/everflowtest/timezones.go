package everflowtest

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
	_ "time/tzdata" // the stand-in must know its zones on hosts without zoneinfo (distroless)
)

// Timezone is one entry of GET /v1/meta/timezones. The utc_offset Everflow
// also sends is computed per request from Options.Now, since it changes with
// DST.
type Timezone struct {
	// ID is Everflow's timezone_id.
	ID int
	// Name is timezone_name, e.g. "Eastern Time (America/New_York)".
	Name string
	// Zone is the IANA zone, the field to match on.
	Zone string
}

// Timezones is what GET /v1/meta/timezones serves, ordered by UTC offset
// like Everflow's list. Ids 1-16, 67, 80, 85, 87, 89, 90 and 99 are
// confirmed by Everflow's docs; every other id is the stand-in's own,
// chosen so as not to collide with them, and must not be relied on against
// the real service.
var Timezones = []Timezone{
	{1, "Line Is. Time (Pacific/Kiritimati)", "Pacific/Kiritimati"},
	{2, "Phoenix Is. Time (Pacific/Enderbury)", "Pacific/Enderbury"},
	{3, "Tonga Time (Pacific/Tongatapu)", "Pacific/Tongatapu"},
	{4, "Chatham Time (Pacific/Chatham)", "Pacific/Chatham"},
	{5, "New Zealand Time (Pacific/Auckland)", "Pacific/Auckland"},
	{6, "Fiji Time (Pacific/Fiji)", "Pacific/Fiji"},
	{7, "Petropavlovsk-Kamchatski Time (Asia/Kamchatka)", "Asia/Kamchatka"},
	{8, "Norfolk Time (Pacific/Norfolk)", "Pacific/Norfolk"},
	{9, "Lord Howe Time (Australia/Lord_Howe)", "Australia/Lord_Howe"},
	{10, "Solomon Is. Time (Pacific/Guadalcanal)", "Pacific/Guadalcanal"},
	{11, "Central Time (South Australia) (Australia/Adelaide)", "Australia/Adelaide"},
	{12, "Eastern Time (New South Wales) (Australia/Sydney)", "Australia/Sydney"},
	{13, "Eastern Time (Queensland) (Australia/Brisbane)", "Australia/Brisbane"},
	{14, "Central Time (Northern Territory) (Australia/Darwin)", "Australia/Darwin"},
	{15, "Korea Time (Asia/Seoul)", "Asia/Seoul"},
	{16, "Japan Time (Asia/Tokyo)", "Asia/Tokyo"},
	// 17-66, 68-79, 81-84, 86, 88 and 91-98: the stand-in's own ids.
	{17, "China Time (Asia/Shanghai)", "Asia/Shanghai"},
	{18, "Hong Kong Time (Asia/Hong_Kong)", "Asia/Hong_Kong"},
	{19, "Singapore Time (Asia/Singapore)", "Asia/Singapore"},
	{20, "Western Time (Australia) (Australia/Perth)", "Australia/Perth"},
	{21, "Philippines Time (Asia/Manila)", "Asia/Manila"},
	{22, "Indochina Time (Asia/Bangkok)", "Asia/Bangkok"},
	{23, "West Indonesia Time (Asia/Jakarta)", "Asia/Jakarta"},
	{24, "Indochina Time (Asia/Ho_Chi_Minh)", "Asia/Ho_Chi_Minh"},
	{25, "Myanmar Time (Asia/Yangon)", "Asia/Yangon"},
	{26, "Bangladesh Time (Asia/Dhaka)", "Asia/Dhaka"},
	{27, "Nepal Time (Asia/Kathmandu)", "Asia/Kathmandu"},
	{28, "India Time (Asia/Kolkata)", "Asia/Kolkata"},
	{29, "Pakistan Time (Asia/Karachi)", "Asia/Karachi"},
	{30, "Uzbekistan Time (Asia/Tashkent)", "Asia/Tashkent"},
	{31, "Afghanistan Time (Asia/Kabul)", "Asia/Kabul"},
	{32, "Gulf Time (Asia/Dubai)", "Asia/Dubai"},
	{33, "Iran Time (Asia/Tehran)", "Asia/Tehran"},
	{34, "Moscow Time (Europe/Moscow)", "Europe/Moscow"},
	{35, "Turkey Time (Europe/Istanbul)", "Europe/Istanbul"},
	{36, "Arabia Time (Asia/Riyadh)", "Asia/Riyadh"},
	{37, "East Africa Time (Africa/Nairobi)", "Africa/Nairobi"},
	{38, "Eastern European Time (Europe/Athens)", "Europe/Athens"},
	{39, "Eastern European Time (Europe/Helsinki)", "Europe/Helsinki"},
	{40, "Eastern European Time (Europe/Kyiv)", "Europe/Kyiv"},
	{41, "Eastern European Time (Europe/Bucharest)", "Europe/Bucharest"},
	{42, "Eastern European Time (Africa/Cairo)", "Africa/Cairo"},
	{43, "South Africa Time (Africa/Johannesburg)", "Africa/Johannesburg"},
	{44, "Israel Time (Asia/Jerusalem)", "Asia/Jerusalem"},
	{45, "Central European Time (Europe/Berlin)", "Europe/Berlin"},
	{46, "Central European Time (Europe/Paris)", "Europe/Paris"},
	{47, "Central European Time (Europe/Madrid)", "Europe/Madrid"},
	{48, "Central European Time (Europe/Rome)", "Europe/Rome"},
	{49, "Central European Time (Europe/Amsterdam)", "Europe/Amsterdam"},
	{50, "Central European Time (Europe/Stockholm)", "Europe/Stockholm"},
	{51, "Central European Time (Europe/Warsaw)", "Europe/Warsaw"},
	{52, "West Africa Time (Africa/Lagos)", "Africa/Lagos"},
	{53, "Western European Time (Africa/Casablanca)", "Africa/Casablanca"},
	{54, "Greenwich Mean Time (Europe/London)", "Europe/London"},
	{55, "Greenwich Mean Time (Europe/Dublin)", "Europe/Dublin"},
	{56, "Western European Time (Europe/Lisbon)", "Europe/Lisbon"},
	{57, "Greenwich Mean Time (Atlantic/Reykjavik)", "Atlantic/Reykjavik"},
	{58, "Greenwich Mean Time (Africa/Abidjan)", "Africa/Abidjan"},
	{67, "Coordinated Universal Time (UTC)", "UTC"},
	{68, "Azores Time (Atlantic/Azores)", "Atlantic/Azores"},
	{69, "Cape Verde Time (Atlantic/Cape_Verde)", "Atlantic/Cape_Verde"},
	{70, "Fernando de Noronha Time (America/Noronha)", "America/Noronha"},
	{71, "South Georgia Time (Atlantic/South_Georgia)", "Atlantic/South_Georgia"},
	{72, "Brasilia Time (America/Sao_Paulo)", "America/Sao_Paulo"},
	{73, "Argentina Time (America/Argentina/Buenos_Aires)", "America/Argentina/Buenos_Aires"},
	{74, "Uruguay Time (America/Montevideo)", "America/Montevideo"},
	{75, "Newfoundland Time (America/St_Johns)", "America/St_Johns"},
	{76, "Atlantic Time (America/Halifax)", "America/Halifax"},
	{77, "Venezuela Time (America/Caracas)", "America/Caracas"},
	{78, "Chile Time (America/Santiago)", "America/Santiago"},
	{79, "Atlantic Time (America/Puerto_Rico)", "America/Puerto_Rico"},
	{80, "Eastern Time (America/New_York)", "America/New_York"},
	{81, "Eastern Time (America/Toronto)", "America/Toronto"},
	{82, "Colombia Time (America/Bogota)", "America/Bogota"},
	{83, "Peru Time (America/Lima)", "America/Lima"},
	{84, "Eastern Time (America/Cancun)", "America/Cancun"},
	{85, "Central Time (America/Chicago)", "America/Chicago"},
	{86, "Central Time (America/Mexico_City)", "America/Mexico_City"},
	{87, "Mountain Time (America/Denver)", "America/Denver"},
	{88, "Mountain Time (America/Edmonton)", "America/Edmonton"},
	{89, "Mountain Time (America/Phoenix)", "America/Phoenix"},
	{90, "Pacific Time (America/Los_Angeles)", "America/Los_Angeles"},
	{91, "Pacific Time (America/Vancouver)", "America/Vancouver"},
	{92, "Pacific Time (America/Tijuana)", "America/Tijuana"},
	{93, "Alaska Time (America/Anchorage)", "America/Anchorage"},
	{94, "Marquesas Time (Pacific/Marquesas)", "Pacific/Marquesas"},
	{95, "Hawaii Time (Pacific/Honolulu)", "Pacific/Honolulu"},
	{96, "Niue Time (Pacific/Niue)", "Pacific/Niue"},
	{97, "Samoa Time (Pacific/Midway)", "Pacific/Midway"},
	{99, "Samoa Time (Pacific/Pago_Pago)", "Pacific/Pago_Pago"},
}

// locations maps every timezone_id of Timezones to its location, loaded
// once; the table is fixed, so a zone that fails to load is a bug.
var locations = func() map[int]*time.Location {
	m := make(map[int]*time.Location, len(Timezones))
	for _, tz := range Timezones {
		loc, err := time.LoadLocation(tz.Zone)
		if err != nil {
			panic(fmt.Sprintf("everflowtest: timezone %d: %v", tz.ID, err))
		}
		if _, dup := m[tz.ID]; dup {
			panic(fmt.Sprintf("everflowtest: duplicate timezone_id %d", tz.ID))
		}
		m[tz.ID] = loc
	}
	return m
}()

// locationOf returns the location of a timezone_id, nil when unknown.
func locationOf(id int) *time.Location { return locations[id] }

// Location returns the location of an Everflow timezone_id the server
// knows, and whether it knows it.
func Location(timezoneID int) (*time.Location, bool) {
	loc, ok := locations[timezoneID]
	return loc, ok
}

// timezones serves GET /v1/meta/timezones.
func (s *Server) timezones() reply {
	if s.opts.RefuseTimezones {
		return errorReply(http.StatusForbidden, "Out of realm")
	}
	now := s.opts.Now()
	b := getBuf()
	buf := append((*b)[:0], `{"timezones":[`...)
	for i, tz := range Timezones {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, `{"timezone_id":`...)
		buf = strconv.AppendInt(buf, int64(tz.ID), 10)
		buf = append(buf, `,"timezone_name":`...)
		buf = appendString(buf, tz.Name)
		buf = append(buf, `,"timezone":`...)
		buf = appendString(buf, tz.Zone)
		buf = append(buf, `,"utc_offset":`...)
		buf = appendString(buf, utcOffset(now.In(locations[tz.ID])))
		buf = append(buf, '}')
	}
	buf = append(buf, "]}"...)
	*b = buf
	return reply{status: http.StatusOK, body: b}
}

// utcOffset formats t's offset as Everflow does: "+14:00", "-05:00".
func utcOffset(t time.Time) string {
	_, off := t.Zone()
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("%c%02d:%02d", sign, off/3600, off/60%60)
}
