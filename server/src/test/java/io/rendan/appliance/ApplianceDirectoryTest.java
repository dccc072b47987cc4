package io.rendan.appliance;

import static io.rendan.appliance.ApplianceStories.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rendan.TestNode;
import io.rendan.protocol.api.v1.Appliance;
import io.rendan.protocol.api.v1.ClientFrame;
import io.rendan.protocol.api.v1.ListAppliancesRequest;
import io.rendan.protocol.api.v1.ListAppliancesResponse;
import io.rendan.protocol.api.v1.ListedAppliance;
import io.rendan.protocol.api.v1.Response;
import io.rendan.ws.WsClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /v1/emcs/{emcId}/appliances}: each EMC lists exactly the
 * appliances provisioned for it, page by page, to whoever may read the EMC;
 * the listing is a read model kept from the journal, so an appliance whose
 * provisioning was stored is listed after a restart too.
 */
@Tag("node")
class ApplianceDirectoryTest {
  private static final Duration PROJECTION = Duration.ofSeconds(20);

  @TempDir Path dataDir;

  @Test
  void eachEmcListsItsOwnAppliancesPageByPageToWhoeverMayReadItAndAfterARestart() throws Exception {
    List<ListedAppliance> laundryListing;
    String laundry;
    String kitchen;
    String late;
    try (TestNode node = TestNode.h2(dataDir)) {
      ApplianceStories stories = new ApplianceStories(node);
      String alice = node.token("alice");
      String carol = node.token("carol");
      laundry = stories.emcOwnedBy(alice, "Dorm Laundry");
      kitchen = stories.emcOwnedBy(carol, "Dorm Kitchen");
      List<Appliance> inLaundry = new ArrayList<>();
      for (String type : List.of("WASHER", "WASHER", "DRYER")) {
        inLaundry.add(stories.provision(alice, laundry, type, 250).getAppliance());
      }
      Appliance fridge = stories.provision(carol, kitchen, "FRIDGE", 0).getAppliance();

      TestNode.await(PROJECTION, "the laundry lists its three appliances", () -> listAll(node, alice, laundry, 100).size() == 3);
      laundryListing = listAll(node, alice, laundry, 100);
      assertEquals(
          inLaundry.stream().map(Appliance::getApplianceId).sorted().toList(),
          laundryListing.stream().map(ListedAppliance::getApplianceId).toList(),
          "exactly the laundry's appliances, by id");
      for (ListedAppliance listed : laundryListing) {
        Appliance read = stories.appliance(alice, listed.getApplianceId());
        assertEquals(laundry, listed.getEmcId());
        assertEquals(read.getType(), listed.getType());
        assertEquals(read.getModel(), listed.getModel());
        assertEquals(read.getLocation(), listed.getLocation());
        assertEquals(read.getTariff(), listed.getTariff());
        assertEquals(read.getProvisionedAt(), listed.getProvisionedAt());
      }
      TestNode.await(PROJECTION, "the kitchen lists its fridge", () -> listAll(node, carol, kitchen, 100).size() == 1);
      assertEquals(List.of(fridge.getApplianceId()), ids(listAll(node, carol, kitchen, 100)));

      // pages of two: the same appliances, in the same order, the last page says it is the last
      ListAppliancesResponse first = page(node, alice, "/v1/emcs/" + laundry + "/appliances?limit=2");
      assertEquals(2, first.getAppliancesCount());
      assertTrue(!first.getNextPage().isEmpty(), "a page that is not the last says where to go on");
      ListAppliancesResponse second = page(node, alice, "/v1/emcs/" + laundry + "/appliances?limit=2&after=" + first.getNextPage());
      assertEquals("", second.getNextPage());
      assertEquals(laundryListing, Stream.concat(first.getAppliancesList().stream(), second.getAppliancesList().stream()).toList());

      // refused as reading the EMC is refused
      String stranger = node.token("mallory");
      assertRefusedLikeTheEmcRead(node, stranger, laundry, 403, "auth:forbidden");
      assertRefusedLikeTheEmcRead(node, carol, laundry, 403, "auth:forbidden");
      assertRefusedLikeTheEmcRead(node, alice, "no-such-emc", 404, "emc:not-found");
      assertEquals(laundryListing, listAll(node, node.token("ops", "admin"), laundry, 100), "an admin reads every EMC");
      assertError(node.get("/v1/emcs/" + laundry + "/appliances?limit=101", alice), 400, "request:invalid");
      assertError(node.get("/v1/emcs/" + laundry + "/appliances?limit=two", alice), 400, "request:invalid");
      assertError(node.get("/v1/emcs/" + laundry + "/appliances?after=%21%21", alice), 400, "request:invalid");
      assertError(node.get("/v1/emcs/" + laundry + "/appliances", null), 401, "auth:unauthenticated");

      // the same over the WebSocket
      try (WsClient ws = WsClient.connect(node.wsUri(), alice)) {
        ws.sendJson(
            ClientFrame.newBuilder()
                .setRequestId("list")
                .setListAppliances(ListAppliancesRequest.newBuilder().setEmcId(laundry))
                .build());
        Response response = ws.next().frame().getResponse();
        assertEquals("list", response.getRequestId());
        assertEquals(laundryListing, response.getAppliances().getAppliancesList());
      }

      // stored, then the node stops before anyone lists it
      late = stories.provision(alice, laundry, "OVEN", 300).getAppliance().getApplianceId();
    }

    try (TestNode node = TestNode.h2(dataDir)) {
      String alice = node.token("alice");
      TestNode.await(PROJECTION, "the appliance provisioned last is listed", () -> listAll(node, alice, laundry, 100).size() == 4);
      List<ListedAppliance> after = listAll(node, alice, laundry, 2);
      assertEquals(
          Stream.concat(laundryListing.stream().map(ListedAppliance::getApplianceId), Stream.of(late)).sorted().toList(),
          ids(after));
      assertEquals(laundryListing, after.stream().filter(a -> !a.getApplianceId().equals(late)).toList(), "nothing listed changed");
      assertEquals(1, listAll(node, node.token("carol"), kitchen, 100).size(), "nor in the other EMC");
    }
  }

  private static void assertRefusedLikeTheEmcRead(TestNode node, String token, String emcId, int status, String code)
      throws Exception {
    assertError(node.get("/v1/emcs/" + emcId, token), status, code);
    assertError(node.get("/v1/emcs/" + emcId + "/appliances", token), status, code);
  }

  private static void assertError(HttpResponse<String> response, int status, String code) {
    assertEquals(status, response.statusCode(), response.body());
    assertTrue(response.body().contains("\"code\":\"" + code + "\""), response.body());
  }

  private static List<String> ids(List<ListedAppliance> appliances) {
    return appliances.stream().map(ListedAppliance::getApplianceId).toList();
  }

  private static ListAppliancesResponse page(TestNode node, String token, String path) throws Exception {
    HttpResponse<String> r = node.get(path, token);
    assertEquals(200, r.statusCode(), r.body());
    return parse(r, ListAppliancesResponse.newBuilder()).build();
  }

  /** Every page, following nextPage. */
  private static List<ListedAppliance> listAll(TestNode node, String token, String emcId, int limit) throws Exception {
    List<ListedAppliance> all = new ArrayList<>();
    String after = "";
    do {
      ListAppliancesResponse page =
          page(node, token, "/v1/emcs/" + emcId + "/appliances?limit=" + limit + (after.isEmpty() ? "" : "&after=" + after));
      all.addAll(page.getAppliancesList());
      after = page.getNextPage();
    } while (!after.isEmpty());
    return all;
  }
}
