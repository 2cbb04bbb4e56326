// The mobile bindings through the real FFI, from Kotlin on the JVM (JNA).
//
// Run by scripts/test-bindings with OUTREACH_URL (a running `outreach serve`
// on 127.0.0.1) and INVITE_A, INVITE_B (champion invite codes for elm-road).

import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.file.Files
import java.time.Duration
import uniffi.mobile_bindings.*

val url: String = System.getenv("OUTREACH_URL") ?: error("OUTREACH_URL is not set")
const val DEVICE = "01900000-0000-7000-8000-0000000000aa"
val http: HttpClient = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()

fun check(condition: Boolean, message: () -> String) {
    if (!condition) throw AssertionError(message())
}

fun conversation(outcome: Outcome, name: String? = null, personId: String? = null, email: String? = null) =
    Conversation(
        personId = personId,
        area = "north-estate",
        patch = "elm-road",
        outcome = outcome,
        name = name,
        phone = null,
        email = email,
        ageBand = AgeGroup.FROM35_TO44,
        topics = listOf("parks"),
        wantsToJoin = listOf("litter-pick"),
        followUp = "Send the litter-pick dates",
        followUpDueMs = null,
        consentToContact = true,
        consentWordingVersion = "2026-09",
    )

fun signUp(eventId: String, n: Int, under13: Boolean) =
    SignUp(
        eventId = eventId,
        area = "north-estate",
        patch = "elm-road",
        name = "Young person $n",
        phone = null,
        email = null,
        ageBand = if (under13) AgeGroup.UNDER13 else AgeGroup.FROM13_TO17,
        consentGiven = true,
        consentBy = if (under13) ConsentBy.GUARDIAN else ConsentBy.SUBJECT,
        consentWordingVersion = "2026-09",
        attended = true,
    )

fun tempDir(): String = Files.createTempDirectory("outreach-kotlin").toString()

fun offlineWorkSurvivesReopening() {
    val directory = tempDir()
    var store = OutreachStore.open(directory, DEVICE)
    val logged = store.logConversation(conversation(Outcome.SPOKE, name = "Sam Kotlin"))
    val event = store.createEvent(
        EventInput(
            area = "north-estate", patch = "elm-road", title = "Youth session",
            kind = EventType.YOUTH_SESSION, startsAtMs = System.currentTimeMillis(),
            endsAtMs = null, place = "Youth club",
        )
    )
    check(store.events().single().headcount == null) { "not counted yet" }
    store.setEventHeadcount(event, 40u)
    check(store.events().single().headcount == 40u) { "${store.events()}" }
    val started = System.nanoTime()
    for (n in 0 until 50) store.signUp(signUp(event, n, under13 = n % 3 == 0))
    println("kotlin: 50 sign-ups in ${(System.nanoTime() - started) / 1_000_000} ms")
    store.close()

    store = OutreachStore.open(directory, DEVICE)
    val sam = store.person(logged.personId)
    check(sam.name == "Sam Kotlin") { "$sam" }
    check(sam.lastOutcome == Outcome.SPOKE) { "$sam" }
    check(store.people(null).size == 51) { "people: ${store.people(null).size}" }
    check(store.people("sam").size == 1) { "search" }
    check(store.peoplePage(null, 0u, 20u).size == 20) { "a page of people" }
    check(store.peoplePage(null, 50u, 20u).size == 1) { "the last page" }
    check(store.people("young person").all { it.under18 }) { "under-18 flags" }
    check(store.doorList(null).map { it.id } == listOf(logged.personId)) { "door list" }
    check(store.followUpsOwed().size == 1) { "follow-ups" }
    check(store.pendingChanges() == 52UL) { "pending ${store.pendingChanges()}" }
    store.close()
}

fun rolesCarryTheHatsWornInThem() {
    val store = OutreachStore.open(tempDir(), DEVICE)
    val member = store.logConversation(conversation(Outcome.SPOKE, name = "Councillor Kotlin"))
    val now = System.currentTimeMillis()
    val seat = store.recordRoleWithHats(
        member.personId, HeldRole.PARTNERSHIP_MEMBER, now - 60_000, listOf(OtherHat.COUNCILLOR),
    )
    val chair = store.recordRole(member.personId, HeldRole.CHAIR, now - 30_000)
    store.setRoleHats(member.personId, chair, listOf(OtherHat.PAID_WORKER))
    store.setRoleHats(member.personId, seat, listOf())
    val hats = store.roles(member.personId).associate { it.entryId to it.hats }
    check(hats == mapOf(seat to listOf<OtherHat>(), chair to listOf(OtherHat.PAID_WORKER))) { "$hats" }
    store.close()
}

fun aWalkListWorksOffline() {
    val store = OutreachStore.open(tempDir(), DEVICE)
    fun door(house: String, latitude: Double?) = DoorInput(
        area = "north-estate", patch = "elm-road", house = house, street = "Oak Lane",
        locality = null, postcode = "AB1 2CD", latitude = latitude,
        longitude = latitude?.let { -0.1 },
    )
    val four = store.addDoor(door("4", 51.004))
    val two = store.addDoor(door("2", 51.002))
    store.recordKnock(two, Outcome.NOT_IN)
    store.recordKnock(two, Outcome.NOT_IN)
    store.recordKnock(store.addDoor(door("6", null)), Outcome.NO_KNOCKING)
    val walk = store.walkList("elm-road", null, null)
    check(walk.map { it.addressId } == listOf(two, four)) { "$walk" }
    check(walk[0].revisit == listOf(Revisit.TRY_ANOTHER_TIME)) { "${walk[0]}" }
    val fromNorth = store.walkList("elm-road", 51.01, -0.1)
    check(fromNorth.first().addressId == four) { "$fromNorth" }
    store.close()
}

fun badInputIsATypedError() {
    val store = OutreachStore.open(tempDir(), DEVICE)
    try {
        store.logConversation(conversation(Outcome.SPOKE, email = "not an email"))
        throw AssertionError("a bad email was accepted")
    } catch (e: OutreachException.Invalid) {
        check(e.message!!.contains("email")) { "${e.message}" }
    }
    try {
        store.person("not an id")
        throw AssertionError("a bad id was accepted")
    } catch (e: OutreachException.Invalid) {
    }
    try {
        store.applySyncResponse("junk".toByteArray())
        throw AssertionError("a junk response was applied")
    } catch (e: OutreachException.Sync) {
    }
    check(store.people(null).isEmpty()) { "nothing stored" }
    store.close()
}

fun register(inviteCode: String): Pair<String, String> {
    val body = """{"invite_code": "$inviteCode", "name": "kotlin phone"}"""
    val request = HttpRequest.newBuilder(URI.create("$url/v1/devices"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build()
    val response = http.send(request, HttpResponse.BodyHandlers.ofString())
    check(response.statusCode() == 201) { "register: ${response.statusCode()} ${response.body()}" }
    val text = response.body()
    fun field(name: String) = Regex("\"$name\"\\s*:\\s*\"([^\"]+)\"").find(text)!!.groupValues[1]
    return field("device_id") to field("token")
}

/** The app's side of sync, on java.net.http (OkHttp on Android). */
class JdkTransport(private val token: String) : HttpTransport {
    var calls = 0
    override fun postSync(body: ByteArray): ByteArray {
        calls += 1
        val request = HttpRequest.newBuilder(URI.create("$url/v1/sync"))
            .header("Authorization", "Bearer $token")
            .header("Content-Type", "application/octet-stream")
            .timeout(Duration.ofSeconds(60))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build()
        val response = try {
            http.send(request, HttpResponse.BodyHandlers.ofByteArray())
        } catch (e: Exception) {
            throw OutreachException.Transport("${e.message}")
        }
        if (response.statusCode() != 200) {
            throw OutreachException.Transport("HTTP ${response.statusCode()}")
        }
        return response.body()
    }
}

class NoSignal : HttpTransport {
    override fun postSync(body: ByteArray): ByteArray = throw OutreachException.Transport("no signal")
}

fun syncWithARealServer() {
    val (deviceA, tokenA) = register(System.getenv("INVITE_A"))
    val (deviceB, tokenB) = register(System.getenv("INVITE_B"))
    val phoneA = OutreachStore.open(tempDir(), deviceA)
    val logged = phoneA.logConversation(conversation(Outcome.SPOKE, name = "Pat from Kotlin"))
    val transportA = JdkTransport(tokenA)
    var result = phoneA.sync(transportA)
    check(result.accepted == 1U && result.rejected == 0U) { "$result" }
    check(phoneA.pendingChanges() == 0UL) { "pending after sync" }

    val phoneB = OutreachStore.open(tempDir(), deviceB)
    result = phoneB.sync(JdkTransport(tokenB))
    check(result.received >= 1U) { "$result" }
    val found = phoneB.people("pat from kotlin")
    check(found.map { it.id } == listOf(logged.personId)) { "$found" }

    // Sans-I/O sync, as an app with its own HTTP stack would do it.
    phoneB.logConversation(conversation(Outcome.NOT_IN, personId = logged.personId))
    val outcome = phoneB.applySyncResponse(JdkTransport(tokenB).postSync(phoneB.syncRequest()))
    check(outcome.accepted == 1U) { "$outcome" }
    phoneA.sync(transportA)
    check(phoneA.person(logged.personId).interactions == 2U) { "merged" }

    phoneA.logConversation(conversation(Outcome.REFUSED))
    try {
        phoneA.sync(NoSignal())
        throw AssertionError("a failed transport went unnoticed")
    } catch (e: OutreachException.Transport) {
    }
    check(phoneA.pendingChanges() == 1UL) { "nothing lost" }
    phoneA.close()
    phoneB.close()
}

fun main() {
    val tests = listOf(
        "offlineWorkSurvivesReopening" to ::offlineWorkSurvivesReopening,
        "aWalkListWorksOffline" to ::aWalkListWorksOffline,
        "rolesCarryTheHatsWornInThem" to ::rolesCarryTheHatsWornInThem,
        "badInputIsATypedError" to ::badInputIsATypedError,
        "syncWithARealServer" to ::syncWithARealServer,
    )
    for ((name, test) in tests) {
        test()
        println("kotlin: $name ... ok")
    }
    println("kotlin: ${tests.size} passed")
}
