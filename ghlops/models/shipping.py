"""Manifest models for ``shippingZones`` and their nested ``shippingRates`` (apps/store.json).

A zone lists the countries (and optionally states) it ships to; its rates are declared inside it
and matched by name within the zone. A rate may be calculated by a shipping carrier: carriers
belong to Marketplace apps installed in the location, so ghlops only refers to them by name and
never creates them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema, model_validator

from ghlops.models.base import ManagedSpec, ResourceSpec


def _codes(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# The country codes GHL accepts: apps/store.json #ShippingZoneCountryDto.code. The spec declares
# the field as a *number* whose enum is one nested list of these strings (a spec bug); the API
# takes ISO 3166-1 alpha-2 strings, and so does ghlops.
COUNTRY_CODES = _codes(
    "US CA AF AX AL DZ AS AD AO AI AQ AG AR AM AW AU AT AZ BS BH BD BB BY BE BZ BJ BM BT "
    "BO BA BW BV BR IO BN BG BF BI KH CM CV KY CF TD CL CN CX CC CO KM CG CD CK CR CI HR "
    "CU CY CZ DK DJ DM DO EC EG SV GQ ER EE ET FK FO FJ FI FR GF PF TF GA GM GE DE GH GI "
    "GR GL GD GP GU GT GG GN GW GY HT HM VA HN HK HU IS IN ID IR IQ IE IM IL IT JM JP JE "
    "JO KZ KE KI KP XK KW KG LA LV LB LS LR LY LI LT LU MO MK MG MW MY MV ML MT MH MQ MR "
    "MU YT MX FM MD MC MN ME MS MA MZ MM NA NR NP NL AN NC NZ NI NE NG NU NF MP NO OM PK "
    "PW PS PA PG PY PE PH PN PL PT PR QA RE RO RU RW SH KN LC MF PM VC WS SM ST SA SN RS "
    "SC SL SG SX SK SI SB SO ZA GS KR ES LK SD SR SJ SZ SE CH SY TW TJ TZ TH TL TG TK TO "
    "TT TN TR TM TC TV UG UA AE GB UM UY UZ VU VE VN VG VI WF EH YE ZM ZW "
)
# The state codes GHL accepts: apps/store.json #ShippingZoneCountryStateDto.code, one flat enum
# for every country (US states, Canadian provinces, Australian states, ...), duplicates removed.
# The spec does not say which codes belong to which country, so only membership is checked.
STATE_CODES = _codes(
    "AL AK AS AZ AR AA AE AP CA CO CT DE DC FM FL GA GU HI ID IL IN IA KS KY LA ME MH MD "
    "MA MI MN MS MO MT NE NV NH NJ NM NY NC ND MP OH OK OR PW PA PR RI SC SD TN TX UT VT "
    "VI VA WA WV WI WY AB BC MB NB NL NT NS NU ON PE QC SK YT BA CC CH CB CN ER FO JY LP "
    "LR MZ NQ RN SA SJ SL SF SE TF TU ACT NSW QLD TAS VIC AC AM CE DF ES GO MG PB PI RJ "
    "RO RR RS SP TO AI AN AT BI LI LL ML RM TA VS AMA ANT ARA ATL BOL BOY CAL CAQ CAS CAU "
    "CES CHO CUN COR GUA GUV HUI LAG MAG MET NAR NSA PUT QUI RIS SAP SAN SUC TOL VAC VAU "
    "VID CR-A CR-C CR-G CR-H CR-L CR-P CR-SJ GT-16 GT-15 GT-04 GT-20 GT-02 GT-05 GT-01 "
    "GT-13 GT-18 GT-21 GT-22 GT-17 GT-09 GT-14 GT-11 GT-03 GT-12 GT-06 GT-07 GT-10 GT-08 "
    "GT-19 HK KL BR CG DN DD DL GJ HR HP JK JH KA LD PY TS TR UP UK WB CW D G KE KK LS LM "
    "LK LH OY SO WD WH WX WW AG AO AV BT BL BN BG BO BZ BS CL CI CZ CS CR KR EN FE FI FG "
    "FC FR GE GR IM IS AQ LT LE LC LO LU MC NA NO OG OT PD PV PG PU PC PT PN PZ PO RG RA "
    "RC RE SS SV SI SR TE TP TV UD VE VB VC VR VV JP-23 JP-05 JP-02 JP-12 JP-38 JP-18 "
    "JP-40 JP-07 JP-21 JP-10 JP-34 JP-01 JP-28 JP-08 JP-17 JP-03 JP-37 JP-46 JP-14 JP-39 "
    "JP-43 JP-26 JP-24 JP-04 JP-45 JP-20 JP-42 JP-29 JP-15 JP-44 JP-33 JP-47 JP-27 JP-41 "
    "JP-11 JP-25 JP-32 JP-22 JP-09 JP-36 JP-13 JP-31 JP-16 JP-30 JP-06 JP-35 JP-19 JHR "
    "KDH KTN KUL LBN MLK NSN PHG PNG PRK PLS PJY SBH SWK SGR TRG AGU BCN BCS CAM CHP CHH "
    "CMX COA COL DUR GRO HID JAL MIC MOR MEX NAY NLE OAX PUE QUE ROO SLP SIN SON TAB TAM "
    "TLA VER YUC ZAC AUK BOP CAN CIT GIS HKB MWT MBH NTL OTA STL TKI WKO WGN WTC GB KP "
    "ANC APU ARE AYA CAJ CUS HUV HUC ICA JUN LAL LAM LIM LOR MDD MOQ PAS PIU PUN SAM TAC "
    "TUM UCA PH-ABR PH-AGN PH-AGS PH-AKL PH-ALB PH-ANT PH-APA PH-AUR PH-BAS PH-BAN PH-BTN "
    "PH-BTG PH-BEN PH-BIL PH-BOH PH-BUK PH-BUL PH-CAG PH-CAN PH-CAS PH-CAM PH-CAP PH-CAT "
    "PH-CAV PH-CEB PH-NCO PH-DAO PH-DAV PH-DAS PH-EAS PH-GUI PH-IFU PH-ILN PH-ILS PH-ILI "
    "PH-ISA PH-KAL PH-LUN PH-LAG PH-LAN PH-LAS PH-LEY PH-MAG PH-MAD PH-MAS PH-00 PH-MSC "
    "PH-MSR PH-MOU PH-NEC PH-NER PH-NSA PH-NUE PH-NUV PH-MDC PH-MDR PH-PLW PH-PAM PH-PAN "
    "PH-QUE PH-QUI PH-RIZ PH-ROM PH-WSA PH-SAR PH-SIG PH-SOR PH-SCO PH-SLE PH-SUK PH-SLU "
    "PH-SUN PH-SUR PH-TAR PH-TAW PH-ZMB PH-ZAN PH-ZAS PH-ZSI PT-20 PT-01 PT-02 PT-03 "
    "PT-04 PT-05 PT-06 PT-07 PT-08 PT-09 PT-10 PT-11 PT-30 PT-12 PT-13 PT-14 PT-15 PT-16 "
    "PT-17 PT-18 BH BV B CJ CV DB DJ GL HD IF MM PH SM SB TM TL VL VN KR-26 KR-43 KR-44 "
    "KR-27 KR-30 KR-42 KR-29 KR-47 KR-41 KR-48 KR-28 KR-49 KR-45 KR-46 KR-50 KR-11 KR-31 "
    "C A O PM BU S CU GI H HU J GC L M MU P SG T V ZA Z AJ DU FU RK SH UQ BFP ENG NIR SCT "
    "WLS FS FD RV TT "
)
_COUNTRIES = frozenset(COUNTRY_CODES)
_STATES = frozenset(STATE_CODES)


def _no_yaml_boolean(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(
            "got a boolean: quote the code (YAML reads NO, YES, ON and OFF as booleans), "
            "e.g. code: 'NO'"
        )
    return value


def _country(code: str) -> str:
    if code not in _COUNTRIES:
        raise ValueError(
            f"{code!r} is not a country code GHL knows: use the ISO 3166-1 alpha-2 code in "
            "upper case, e.g. US, CA, GB"
        )
    return code


def _state(code: str) -> str:
    if code not in _STATES:
        raise ValueError(
            f"{code!r} is not a state code GHL knows: use the upper-case code, e.g. CA, NY, ON"
        )
    return code


CountryCode = Annotated[
    str,
    BeforeValidator(_no_yaml_boolean),
    AfterValidator(_country),
    WithJsonSchema(
        {
            "type": "string",
            "enum": list(COUNTRY_CODES),
            "description": "ISO 3166-1 alpha-2 country code, e.g. US",
        }
    ),
]
StateCode = Annotated[
    str,
    BeforeValidator(_no_yaml_boolean),
    AfterValidator(_state),
    WithJsonSchema(
        {
            "type": "string",
            "enum": list(STATE_CODES),
            "description": "State or province code, e.g. CA",
        }
    ),
]
ConditionType = Literal["none", "price", "weight"]


class ShippingState(ResourceSpec):
    code: StateCode


class ShippingCountry(ResourceSpec):
    """A country of a zone; with ``states``, only those states of it."""

    code: CountryCode
    states: list[ShippingState] | None = Field(
        default=None,
        description="Only these states; empty or omitted means every state of the country",
    )

    @model_validator(mode="after")
    def _unique_states(self) -> ShippingCountry:
        codes = [s.code for s in self.states or ()]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            raise ValueError(f"states of {self.code} listed twice: {', '.join(duplicates)}")
        return self


class ShippingCarrierService(ResourceSpec):
    name: str = Field(min_length=1, description="Service name, e.g. Priority Mail Express")
    value: str = Field(min_length=1, description="Service value, e.g. PriorityMailExpress")


class ShippingRate(ManagedSpec):
    """A shipping rate of a zone, matched by ``name`` within its zone.

    A flat rate costs ``amount``. A carrier rate (``carrier`` set) is calculated by that
    carrier, and ``amount`` is a fixed handling fee added to it.
    """

    name: str = Field(min_length=1, description="Rate name, unique within its zone")
    description: str | None = Field(default=None, description="Delivery description")
    currency: str = Field(
        pattern=r"^[A-Z]{3}$", description="ISO 4217 currency of amount, e.g. USD"
    )
    amount: float = Field(
        ge=0,
        description="Price of the rate (0 = free shipping); for a carrier rate, a fixed "
        "handling fee added to the carrier's rate",
    )
    conditionType: ConditionType = Field(
        default="none",
        description="Apply the rate by order price or weight between minCondition and "
        "maxCondition, or always (none)",
    )
    minCondition: float = Field(default=0, ge=0, description="Minimum price/weight; 0 = none")
    maxCondition: float = Field(default=0, ge=0, description="Maximum price/weight; 0 = none")
    carrier: str | None = Field(
        default=None,
        min_length=1,
        description="Name of a shipping carrier installed in the location (a Marketplace "
        "app); ghlops never creates carriers. Makes this a carrier rate",
    )
    isCarrierRate: bool | None = Field(
        default=None,
        description="Whether the carrier calculates the rate; defaults to "
        "whether carrier is set, and must agree with it",
    )
    percentageOfRateFee: float | None = Field(
        default=None, ge=0, description="Carrier rates: a percentage added to the carrier's rate"
    )
    shippingCarrierServices: list[ShippingCarrierService] | None = Field(
        default=None, description="Carrier rates: the carrier services offered"
    )

    @model_validator(mode="after")
    def _consistent(self) -> ShippingRate:
        if self.isCarrierRate and self.carrier is None:
            raise ValueError("isCarrierRate is true but no carrier is named")
        if self.isCarrierRate is False and self.carrier is not None:
            raise ValueError("a rate with a carrier is a carrier rate: drop isCarrierRate: false")
        if self.carrier is None:
            only = [
                f
                for f in ("percentageOfRateFee", "shippingCarrierServices")
                if getattr(self, f) is not None
            ]
            if only:
                raise ValueError(f"{' and '.join(only)} apply to carrier rates only")
        if self.conditionType == "none" and (self.minCondition or self.maxCondition):
            raise ValueError("minCondition and maxCondition need conditionType price or weight")
        if self.maxCondition and self.minCondition > self.maxCondition:
            raise ValueError("minCondition is greater than maxCondition")
        return self


class ShippingZone(ManagedSpec):
    """A shipping zone: the countries it covers and its rates (nested ``shippingRates``)."""

    name: str = Field(min_length=1, description="Zone name; zones are matched by it")
    countries: list[ShippingCountry] = Field(
        min_length=1,
        description="Countries the zone ships to; their order does not matter",
    )
    rates: list[ShippingRate] | None = Field(
        default=None, description="The zone's shipping rates, matched by name within the zone"
    )

    @model_validator(mode="after")
    def _unique(self) -> ShippingZone:
        problems = []
        codes = [c.code for c in self.countries]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            problems.append(f"countries listed twice: {', '.join(duplicates)}")
        names = [r.name for r in self.rates or ()]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            problems.append(f"rate names used twice in the zone: {', '.join(twice)}")
        if problems:
            raise ValueError("; ".join(problems))
        return self
